import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createHub, type Hub } from "../app.ts";
import { signHubToken } from "../auth/tokens.ts";
import { loadHubConfig } from "../env.ts";
import {
  appendNetworkEvents,
  networkEventsEnd,
} from "../modules/health/network-events.repository.ts";
import { seedHubStore } from "../testing/fixture.ts";
import { listen } from "../testing/live.ts";

/**
 * What the hub tells its operators when a `networkEvents` subscriber resumes from a cursor
 * beyond the feed's end (a hub restored from a backup): one warning per move of the feed's
 * offsets, as a node's pull beyond the log gets (modules/sync/pull.service.ts). One embedded
 * hub for the file, its warnings captured.
 */

let root: string;
let hub: Hub;
let wsUrl: string;
let national: string;
const logged: { level: number; msg: string; cursor?: string }[] = [];

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-feed-cursor-"));
  const dataDir = path.join(root, "hub");
  await seedHubStore(dataDir);
  const config = loadHubConfig({}, { dataDir, port: 0, logLevel: "warn" });
  const logger = pino(
    { level: "warn" },
    { write: (line: string) => logged.push(JSON.parse(line)) },
  );
  hub = await createHub(config, { logger });
  const { url } = await hub.start();
  wsUrl = `${url.replace(/^http/, "ws")}/graphql`;
  national = await signHubToken(hub.keys, hub.config, { role: "NATIONAL" }, "1h");
});

afterAll(async () => {
  await hub?.stop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

describe("networkEvents after a cursor beyond the feed's end", () => {
  it("warns once when the feed's offsets move past it, and the subscriber reads what follows", async () => {
    const store = hub.db.store;
    const ahead = (BigInt(await networkEventsEnd(store)) + 5n).toString();
    const warnings = () =>
      logged.filter((line) => line.level === 40 && /networkEvents cursor/.test(line.msg));
    const live = await listen(
      wsUrl,
      national,
      "subscription Feed($after: String) { networkEvents(after: $after) { cursor reports } }",
      { after: ahead },
    );
    try {
      await vi.waitFor(() => expect(warnings()).toHaveLength(1), 10_000);
      expect(warnings()[0]).toMatchObject({ cursor: ahead });
      // Wake-ups without news: the feed reads again from the same cursor, past it now.
      for (let i = 0; i < 3; i++) hub.services.pubsub.publish("network:appended");
      await store.transaction((tx) =>
        appendNetworkEvents(tx, [{ kind: "ACTIVITY", networkId: "N1", payload: { reports: 7 } }]),
      );
      hub.services.pubsub.publish("network:appended");
      await vi.waitFor(() => expect(live.received.data).toHaveLength(1), 10_000);
      const event = live.received.data[0]?.networkEvents;
      expect(event?.reports).toBe(7);
      expect(BigInt(event?.cursor as string)).toBeGreaterThan(BigInt(ahead));
      expect(live.received.errors).toEqual([]);
      expect(warnings()).toHaveLength(1);
      expect(logged.filter((line) => line.level >= 50)).toEqual([]);
    } finally {
      await live.close();
    }
  });
});
