import { createPubSub } from "graphql-yoga";
import { expect, it } from "vitest";
import { followPages, type Page } from "./follow.ts";
import type { HubPubSub, HubPubSubTopics } from "./pubsub.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("still wakes at once on an append after its polls timed out", async () => {
  const pubsub = createPubSub<HubPubSubTopics>() as HubPubSub;
  let end = 0;
  const reads: number[] = [];
  const started = Date.now();
  const pages = followPages<Page>(
    pubsub,
    "log:appended",
    "0",
    async () => {
      reads.push(Date.now() - started);
      return { cursor: String(end), hasMore: false };
    },
    (page, cursor) => page.cursor !== cursor,
    150,
  );
  const received: string[] = [];
  void (async () => {
    for await (const page of pages) received.push(page.cursor);
  })();
  // Idle long enough for three polls to time out, then an append.
  await sleep(500);
  const before = reads.length;
  end = 1;
  pubsub.publish("log:appended");
  await sleep(60);
  // Read again and handed on within a few ms, not at the next poll (up to 150 ms later).
  expect(reads.length).toBeGreaterThan(before);
  expect(received).toEqual(["1"]);
  await pages.return();
});
