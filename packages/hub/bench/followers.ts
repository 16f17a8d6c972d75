// What one push costs a hub when many node agents follow its log live (docs/operations.md,
// Sizing): every push that applies wakes every `changes` follower, and each one reads the log
// again (a pull: one transaction and one read) and receives the new event over graphql-ws.
//
//   npx tsx packages/hub/bench/followers.ts [--followers 400] [--pushes 40]
//
// A hub in its own process (bench/support/hub-server.ts) on a throwaway PostgreSQL database
// (DATABASE_URL's server, default the local one); N enrolled test nodes follow `changes` over
// graphql-ws from this process; one more node pushes one satellite at a time and waits until
// every follower received it. Prints the hub's CPU per push with N followers and with none
// (same pushes, no subscriber), their difference per follower, and the time until the last
// follower received each push. Numbers only: nothing is asserted.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createThrowawayDatabase } from "@maillage/storage/testing";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { enrolTestNode, type TestNode } from "../src/testing/test-node.ts";
import { type BenchServer, startHubServer } from "./support/servers.ts";

const { values } = parseArgs({
  options: {
    followers: { type: "string", default: "400" },
    pushes: { type: "string", default: "40" },
  },
});
const FOLLOWERS = Number(values.followers);
const PUSHES = Number(values.pushes);

function gqlOf(url: string) {
  return async <T>(query: string, variables?: Record<string, unknown>, token?: string) => {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return { ...body, status: response.status };
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] ?? Number.NaN;
}

/** Pushes PUSHES satellites one at a time; each waits for `arrived(id)` (all followers). */
async function pushRound(
  server: BenchServer,
  pusher: TestNode,
  prefix: string,
  arrived: (id: string) => Promise<void>,
): Promise<{ cpuMsPerPush: number; deliveryMs: number[] }> {
  const before = await server.usage();
  const deliveryMs: number[] = [];
  for (let i = 0; i < PUSHES; i++) {
    const id = `${prefix}${i}`;
    const done = arrived(id);
    const t0 = performance.now();
    const r = await pusher.push([pusher.satellite(id, `${prefix} ${i}`)]);
    if (r.data?.pushChanges.applied !== 1) throw new Error(JSON.stringify(r));
    await done;
    deliveryMs.push(performance.now() - t0);
  }
  const after = await server.usage();
  return { cpuMsPerPush: (after.cpuMs - before.cpuMs) / PUSHES, deliveryMs };
}

const started = performance.now();
const progress = (what: string) =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${what}`);

const database = await createThrowawayDatabase();
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-followers-"));
const server = await startHubServer({ databaseUrl: database.url, dataDir });
const sockets: ReturnType<typeof createClient>[] = [];
try {
  const gql = gqlOf(server.url);
  const t = { gql } as Parameters<typeof enrolTestNode>[0];
  const national = await server.token({ role: "NATIONAL" });
  const nodes: TestNode[] = [];
  for (let i = 0; i <= FOLLOWERS; i++) {
    const created = await gql<{ createFabrique: { id: string } }>(
      "mutation($i: CreateSpaceInput!) { createFabrique(input: $i) { id } }",
      { i: { name: `Fabrique ${i}`, communeCode: "07186" } },
      national,
    );
    nodes.push(await enrolTestNode(t, created.data?.createFabrique.id as string, national));
  }
  const [pusher, ...followers] = nodes as [TestNode, ...TestNode[]];
  progress(`hub started, ${nodes.length} nodes enrolled`);

  // Without followers: what the same pushes cost the hub alone.
  const alone = await pushRound(server, pusher, "A", async () => {});

  const waiting = new Map<string, { left: number; resolve(): void }>();
  const wsUrl = `${server.url.replace("http", "ws")}/graphql`;
  for (const follower of followers) {
    const after = (await follower.pull("0", 1000)).cursor;
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authToken: await follower.token({ ttlSeconds: 600 }) },
    });
    sockets.push(client);
    client.subscribe<{ changes: { events: { entityId: string }[] } }>(
      {
        query: "subscription($after: String!) { changes(after: $after) { events cursor hasMore } }",
        variables: { after },
      },
      {
        next: (message) => {
          for (const event of message.data?.changes.events ?? []) {
            const entry = waiting.get(event.entityId);
            if (entry && --entry.left === 0) entry.resolve();
          }
        },
        error: (error) => console.error("follower error", error),
        complete: () => {},
      },
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 2000)); // every follower subscribed
  progress(`${followers.length} followers subscribed`);
  const followed = await pushRound(
    server,
    pusher,
    "F",
    (id) => new Promise<void>((resolve) => waiting.set(id, { left: followers.length, resolve })),
  );

  const perFollower = (followed.cpuMsPerPush - alone.cpuMsPerPush) / followers.length;
  console.log(
    `hub CPU per push: ${alone.cpuMsPerPush.toFixed(1)} ms with no follower, ` +
      `${followed.cpuMsPerPush.toFixed(1)} ms with ${followers.length} followers ` +
      `(${(perFollower * 1000).toFixed(0)} µs per follower per push); ` +
      `push → last follower received: p50 ${median(followed.deliveryMs).toFixed(0)} ms, ` +
      `p95 ${p95(followed.deliveryMs).toFixed(0)} ms (${PUSHES} pushes)`,
  );
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
} finally {
  await Promise.all(sockets.map((s) => s.dispose()));
  await server.stop();
  await database.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
}
