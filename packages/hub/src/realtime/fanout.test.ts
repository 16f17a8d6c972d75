import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createClient } from "graphql-ws";
import { createPubSub } from "graphql-yoga";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import { createHub, type Hub } from "../app.ts";
import { signHubToken } from "../auth/tokens.ts";
import { seedDemoNetwork } from "../demo.ts";
import { loadHubConfig } from "../env.ts";
import { seedHubStore } from "../testing/fixture.ts";
import { fanoutOf } from "./fanout.ts";
import type { HubPubSub, HubPubSubTopics } from "./pubsub.ts";
import { subscribeLatest } from "./pubsub.ts";
import { sharedExecutionsOf } from "./shared-execution.ts";

/**
 * Fan-out costs per event, not per subscriber: one upstream subscription per topic, one
 * database read per event for every subscriber of a replica, and nothing kept once the
 * subscribers are gone, however many broadcasts they heard.
 */

/** A pub/sub that counts the upstream subscriptions asked of it. */
function countingPubSub() {
  const inner = createPubSub<HubPubSubTopics>();
  const counts = { subscribes: 0 };
  const pubsub = {
    publish: inner.publish,
    subscribe: ((...args: Parameters<typeof inner.subscribe>) => {
      counts.subscribes++;
      return inner.subscribe(...args);
    }) as typeof inner.subscribe,
  } as HubPubSub;
  return { pubsub, counts };
}

const event = (i: number) => ({
  spaceId: String(i),
  networkId: "1",
  change: "UPDATED" as const,
});

describe("subscribeLatest", () => {
  it("N subscribers of a topic share one upstream subscription, and each gets every event in order", async () => {
    const { pubsub, counts } = countingPubSub();
    const subscribers = Array.from({ length: 600 }, () =>
      subscribeLatest(pubsub, "space:changed", 8),
    );
    const firsts = subscribers.map((s) => s.next());
    // Each Repeater starts on its first next(); the fan-out listens from then on.
    await vi.waitFor(() => expect(fanoutOf(pubsub).stats().listeners).toBe(600));
    expect(counts.subscribes).toBe(1);
    pubsub.publish("space:changed", event(1));
    pubsub.publish("space:changed", event(2));
    const received = await Promise.all(firsts);
    const seconds = await Promise.all(subscribers.map((s) => s.next()));
    expect(new Set(received.map((r) => r.value))).toEqual(new Set([received[0]?.value]));
    expect(received[0]?.value).toEqual(event(1));
    expect(seconds.every((r) => r.value?.spaceId === "2")).toBe(true);
    await Promise.all(subscribers.map((s) => s.return()));
    expect(fanoutOf(pubsub).stats()).toEqual({ upstreams: 0, listeners: 0 });
  });

  it("publishing returns before any subscriber is handed the event", async () => {
    const { pubsub } = countingPubSub();
    const subscriber = subscribeLatest(pubsub, "space:changed", 8);
    const next = subscriber.next();
    await vi.waitFor(() => expect(fanoutOf(pubsub).stats().listeners).toBe(1));
    let handed = false;
    void next.then(() => {
      handed = true;
    });
    pubsub.publish("space:changed", event(1));
    await Promise.resolve();
    await Promise.resolve();
    expect(handed).toBe(false);
    await next;
    await subscriber.return();
  });

  it("repeated broadcasts to many subscribers that come and go retain nothing", async () => {
    const { pubsub } = countingPubSub();
    const gc = (globalThis as { gc?: () => void }).gc;
    const heaps: number[] = [];
    for (let round = 0; round < 6; round++) {
      const subscribers = Array.from({ length: 1000 }, () =>
        subscribeLatest(pubsub, "space:changed", 4),
      );
      // A reader per subscriber, and some that never read (slow consumers: 4 kept, the rest slid).
      const reading = subscribers.slice(0, 500).map(async (s) => {
        for await (const _ of s) {
          /* drained */
        }
      });
      for (const s of subscribers.slice(500)) void s.next();
      await vi.waitFor(() => expect(fanoutOf(pubsub).stats().listeners).toBe(1000));
      for (let i = 0; i < 20; i++) pubsub.publish("space:changed", event(i));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await Promise.all(subscribers.map((s) => s.return()));
      await Promise.all(reading);
      expect(fanoutOf(pubsub).stats()).toEqual({ upstreams: 0, listeners: 0 });
      if (gc) {
        gc();
        heaps.push(process.memoryUsage().heapUsed);
      }
    }
    // With --expose-gc: the heap after the last rounds is where it was after the second.
    if (gc) expect(Math.max(...heaps.slice(3)) - (heaps[1] ?? 0)).toBeLessThan(4 * 1024 * 1024);
  });
});

describe("spaceChanged to many subscribers of one hub", () => {
  let root: string;
  let hub: Hub;
  let wsUrl: string;
  let national: string;
  const statements: string[] = [];

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-fanout-"));
    await seedHubStore(path.join(root, "hub"));
    const config = loadHubConfig(
      {},
      { dataDir: path.join(root, "hub"), port: 0, logLevel: "silent" },
    );
    hub = await createHub(config, {
      logger: pino({ level: "silent" }),
      onQuery: (sql) => statements.push(sql),
    });
    await seedDemoNetwork(hub);
    const { url } = await hub.start();
    wsUrl = `${url.replace(/^http/, "ws")}/graphql`;
    national = await signHubToken(hub.keys, hub.config, { role: "NATIONAL" }, "1h");
  });

  afterAll(async () => {
    await hub?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it("reads the space once per event, not once per subscriber, over one upstream subscription", async () => {
    const space = await hub.services.prisma.space.findFirstOrThrow({
      where: { kind: "FABRIQUE" },
      select: { id: true, name: true },
    });
    const n = 40;
    const received: string[][] = Array.from({ length: n }, () => []);
    const clients = Array.from({ length: n }, (_, i) => {
      const client = createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { authToken: national },
        retryAttempts: 0,
      });
      client.subscribe<{ spaceChanged: { space: { name: string } } }>(
        { query: "subscription { spaceChanged { change space { id name } } }" },
        {
          next: (result) => {
            const name = result.data?.spaceChanged.space.name;
            if (name) received[i]?.push(name);
          },
          error: () => {},
          complete: () => {},
        },
      );
      return client;
    });
    try {
      const fanout = fanoutOf(hub.services.pubsub);
      const shared = sharedExecutionsOf(hub.services.pubsub);
      await vi.waitFor(() => expect(shared.stats().subscribers).toBe(n), { timeout: 10_000 });
      // One document, one audience: one shared execution, so one listener of the topic.
      await vi.waitFor(() => expect(fanout.stats()).toEqual({ upstreams: 1, listeners: 1 }));
      for (let round = 1; round <= 2; round++) {
        const before = statements.length;
        hub.services.pubsub.publish("space:changed", {
          spaceId: space.id,
          networkId: space.id,
          change: "UPDATED",
        });
        await vi.waitFor(() => expect(received.every((r) => r.length === round)).toBe(true), {
          timeout: 10_000,
        });
        const reads = statements
          .slice(before)
          .filter((sql) => /FROM\s+"[^"]*"\."space"/i.test(sql));
        expect(reads).toHaveLength(1);
      }
      expect(received.every((r) => r.every((name) => name === space.name))).toBe(true);
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
    await vi.waitFor(() => expect(fanoutOf(hub.services.pubsub).stats().listeners).toBe(0));
    expect(fanoutOf(hub.services.pubsub).stats().upstreams).toBe(0);
  });
});
