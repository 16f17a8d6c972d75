// `npm run bench:sync`: push throughput for a 10,000-event backlog, and the time from a
// push to its arrival at another node's live subscription, on PGlite and (with DATABASE_URL)
// PostgreSQL. Runs a hub in process with two enrolled test nodes; prints medians and p95.
// `benchBacklog` is also the hub side of the suite's ingest part (parts/ingest.ts).
import { pathToFileURL } from "node:url";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { startTestHub, type TestHub } from "../src/testing/fixture.ts";
import { enrolTestNode, type TestEvent, type TestNode } from "../src/testing/test-node.ts";

export const BACKLOG = 10_000;
export const BATCH = 1_000;
const ARRIVALS = 200;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function fabrique(t: TestHub, national: string, name: string, communeCode: string) {
  const r = await t.gql<{ createFabrique: { id: string } }>(
    "mutation($i: CreateSpaceInput!) { createFabrique(input: $i) { id } }",
    { i: { name, communeCode } },
    national,
  );
  return r.data?.createFabrique.id as string;
}

/** The backlog a node accumulates offline: 1,000 satellites, then members homed there. */
export function backlogEvents(a: TestNode): TestEvent[] {
  const events: TestEvent[] = [];
  for (let i = 0; i < 1_000; i++) events.push(a.satellite(`S${i}`, `Satellite ${i}`));
  for (let i = 0; events.length < BACKLOG; i++) {
    events.push(a.event("MEMBER", `M${i}`, { homeSpaceId: `S${i % 1_000}` }));
  }
  return events;
}

/**
 * Pushes a BACKLOG-event backlog (backlogEvents) from a node freshly enrolled on `t`, in
 * batches of BATCH; returns the events per second and each batch's round trip (ms).
 */
export async function benchBacklog(t: TestHub): Promise<{
  events: number;
  eventsPerSecond: number;
  batchMs: number[];
  nodes: [TestNode, TestNode];
}> {
  const national = await t.nationalToken();
  const a = await enrolTestNode(t, await fabrique(t, national, "Fabrique A", "07186"), national);
  const b = await enrolTestNode(t, await fabrique(t, national, "Fabrique B", "23096"), national);
  const events = backlogEvents(a);
  const batchTimes: number[] = [];
  const started = performance.now();
  for (let i = 0; i < events.length; i += BATCH) {
    const t0 = performance.now();
    const r = await a.push(events.slice(i, i + BATCH), events.length - i - BATCH);
    if (r.data?.pushChanges.applied !== Math.min(BATCH, events.length - i)) {
      throw new Error(JSON.stringify(r));
    }
    batchTimes.push(performance.now() - t0);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    events: events.length,
    eventsPerSecond: events.length / seconds,
    batchMs: batchTimes,
    nodes: [a, b],
  };
}

async function run(label: string, t: TestHub) {
  const backlog = await benchBacklog(t);
  const [a, b] = backlog.nodes;
  const batchTimes = [...backlog.batchMs].sort((x, y) => x - y);
  console.log(
    `${label.padEnd(9)} backlog of ${BACKLOG} events in batches of ${BATCH}: ${Math.round(backlog.eventsPerSecond)} events/s ` +
      `(batch p50 ${percentile(batchTimes, 50).toFixed(0)} ms, p95 ${percentile(batchTimes, 95).toFixed(0)} ms)`,
  );

  // Arrival: a push by A until B's live subscription delivers it.
  const { url } = await t.hub.start();
  const cursor = (await b.pull("0", 1000)).cursor;
  let drained = cursor;
  for (;;) {
    const page = await b.pull(drained, 1000);
    drained = page.cursor;
    if (!page.hasMore) break;
  }
  const client = createClient({
    url: `${url.replace("http", "ws")}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authToken: await b.token() },
  });
  const waiting = new Map<string, (at: number) => void>();
  const dispose = client.subscribe<{ changes: { events: { entityId: string }[] } }>(
    {
      query: "subscription($after: String!) { changes(after: $after) { events cursor hasMore } }",
      variables: { after: drained },
    },
    {
      next: (msg) => {
        const now = performance.now();
        for (const e of msg.data?.changes.events ?? []) waiting.get(e.entityId)?.(now);
      },
      error: (err) => console.error(err),
      complete: () => {},
    },
  );
  await new Promise((r) => setTimeout(r, 300));
  const arrivals: number[] = [];
  for (let i = 0; i < ARRIVALS; i++) {
    const id = `L${i}`;
    const arrived = new Promise<number>((resolve) => waiting.set(id, resolve));
    const t0 = performance.now();
    await a.push([a.satellite(id, `Live ${i}`)]);
    arrivals.push((await arrived) - t0);
  }
  dispose();
  await client.dispose();
  arrivals.sort((x, y) => x - y);
  console.log(
    `${label.padEnd(9)} push → hub → other node's subscription, ${ARRIVALS} single events: ` +
      `p50 ${percentile(arrivals, 50).toFixed(1)} ms, p95 ${percentile(arrivals, 95).toFixed(1)} ms`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const pglite = await startTestHub("pglite");
  try {
    await run("pglite", pglite);
  } finally {
    await pglite.close();
  }
  if (process.env.DATABASE_URL) {
    const postgres = await startTestHub("postgres");
    try {
      await run("postgres", postgres);
    } finally {
      await postgres.close();
    }
  }
}
