import { pino } from "pino";
import { expect, it } from "vitest";
import { createHubPubSub } from "./pubsub.ts";

it("survives Redis being unreachable: a failed publish is logged, never fatal", async () => {
  const lines: string[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(line) });
  // Nothing listens on port 1: every command fails after ioredis' retries.
  const { pubsub, close } = createHubPubSub("redis://127.0.0.1:1", logger);
  pubsub.publish("log:appended");
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await close();
  expect(lines.join("\n")).toMatch(/redis (publish failed|connection error)/);
});
