// `npm run bench:agent-sync`: a real node agent against a real hub, in one process, the agent
// reaching the hub over HTTP on 127.0.0.1 (as it would over a network, minus the latency).
//
// 1. Backlog: the hub is stopped, the agent's outbox is filled with 10,000 events, the hub is
//    started again on the same storage and port. Measured: from the agent's reconnect (its
//    first push the hub answers, sent by its own backoff timer) until its outbox is empty —
//    events/s = 10,000 / that time. Also reported: the wait from the hub's restart to that
//    reconnect (the backoff, capped at 200 ms here), and each push round trip (1,000 events).
//    The backlog is written through the agent's local writer — the path every API write takes:
//    the member rows and their outbox events in one transaction — 100 members a transaction,
//    so that it builds in seconds rather than 10,000 API calls.
// 2. Online arrival: both up, the engine running, members registered one at a time through the
//    agent's GraphQL API (in process). Measured per write: from the API call until the hub has
//    committed the event — the moment the hub announces the append on its pub/sub (after the
//    commit, the signal that wakes live subscribers), observed in this process, same clock.
//    Also reported from the databases: the event's occurredAt (agent clock, at the write) to
//    the hub log's recorded_at (the push transaction's start, ms precision): a lower bound.
//
// PostgreSQL (hub and agent each on a throwaway database of DATABASE_URL's server) when
// DATABASE_URL is set; then embedded PGlite for both. Prints medians and p95.
import type { SqlSession, SqlStore } from "@maillage/storage";
import { ulid } from "ulid";
import { memberRepository } from "../../packages/node-agent/src/modules/members/member.repository.ts";
import { createLocalWriter } from "../../packages/node-agent/src/outbox/local-writer.ts";
import { agentApi } from "../support/agent-api.ts";
import {
  type Backend,
  type ClusterAgent,
  type ClusterHub,
  Resources,
  recordHubCalls,
  startClusterAgent,
  startClusterHub,
} from "../support/sync-cluster.ts";

const BACKLOG = 10_000;
const ROUNDS = 3;
const ARRIVALS = 300;
const GOAL_EVENTS_PER_SECOND = 5_000;
const GOAL_ARRIVAL_P95_MS = 250;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const median = (values: number[]) => percentile(values, 50);
const ms = (value: number) => `${value.toFixed(1)} ms`;
const rate = (value: number) => `${Math.round(value).toLocaleString("en")} events/s`;

async function until(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 5) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** 10,000 members homed at the fabrique and its satellites, each with its outbox event. */
async function fillOutbox(agent: ClusterAgent, homes: string[]) {
  // Like the agent's own writer: each commit wakes the push loop (which fails, the hub being
  // down, and falls back to its backoff timer).
  const writer = createLocalWriter({
    store: agent.agent.store as SqlStore,
    nodeId: agent.nodeId,
    onCommitted: () => agent.agent.sync.wake(),
  });
  for (let written = 0; written < BACKLOG; written += 100) {
    await writer.write(async (tx: SqlSession, changes) => {
      for (let i = written; i < written + 100; i++) {
        const member = await memberRepository.insertOwned(tx, {
          id: ulid(),
          homeSpaceId: homes[i % homes.length] as string,
          displayName: `Membre ${i}`,
          firstName: null,
          email: null,
          phone: null,
          organisation: null,
        });
        await changes.append({
          entity: "MEMBER",
          entityId: member.id,
          op: "UPSERT",
          payload: { homeSpaceId: member.homeSpaceId },
        });
      }
    });
  }
}

async function backlog(
  label: string,
  hub: ClusterHub,
  agent: ClusterAgent,
  spy: ReturnType<typeof recordHubCalls>,
  homes: string[],
) {
  const drains: number[] = [];
  const waits: number[] = [];
  const roundTrips: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await hub.stop();
    const fillStartedAt = performance.now();
    await fillOutbox(agent, homes);
    const filledIn = performance.now() - fillStartedAt;
    const pending = (await agent.agent.sync.status()).outboxPending;
    if (pending !== BACKLOG) throw new Error(`outbox holds ${pending} events, not ${BACKLOG}`);
    const firstCall = spy.calls.length;
    await hub.start();
    const upAt = performance.now();
    await until(async () => (await agent.agent.sync.status()).outboxPending === 0, 120_000);
    const emptyAt = performance.now();
    const pushes = spy.calls
      .slice(firstCall)
      .filter((c) => c.operation === "PushChanges" && c.answer !== undefined);
    const reconnectAt = pushes[0]?.at;
    if (reconnectAt === undefined) throw new Error("no push answered");
    drains.push(emptyAt - reconnectAt);
    waits.push(reconnectAt - upAt);
    for (const p of pushes) roundTrips.push((p.answeredAt as number) - p.at);
    console.log(
      `${label.padEnd(9)} backlog round ${round + 1}: ${BACKLOG} events written offline in ${(filledIn / 1000).toFixed(1)} s, pushed in ${pushes.length} pushes, ` +
        `reconnect → outbox empty ${ms(emptyAt - reconnectAt)} = ${rate(BACKLOG / ((emptyAt - reconnectAt) / 1000))}`,
    );
  }
  const throughput = BACKLOG / (median(drains) / 1000);
  console.log(
    `${label.padEnd(9)} BACKLOG of ${BACKLOG.toLocaleString("en")} events, ${ROUNDS} rounds: ` +
      `median ${ms(median(drains))} from reconnect to empty outbox = ${rate(throughput)} ` +
      `(best ${rate(BACKLOG / (Math.min(...drains) / 1000))}, worst ${rate(BACKLOG / (Math.max(...drains) / 1000))}); ` +
      `push round trip of 1,000 events p50 ${ms(median(roundTrips))}, p95 ${ms(percentile(roundTrips, 95))}; ` +
      `hub up → reconnect (backoff) median ${ms(median(waits))}`,
  );
  return throughput;
}

async function arrivals(label: string, hub: ClusterHub, agent: ClusterAgent, homes: string[]) {
  // The hub's own wake-up, after each commit: which of this node's events are new.
  const arrivedAt = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  let after = (
    await hub.query<{ end: string }>(
      `SELECT coalesce(max("offset"), 0)::text AS "end" FROM change_log`,
    )
  )[0]?.end as string;
  const wakeups = hub.hub.services.pubsub.subscribe("log:appended");
  const watching = (async () => {
    for await (const _ of wakeups) {
      const now = performance.now();
      const rows = await hub.query<{ offset: string; entity_id: string }>(
        `SELECT l."offset"::text AS "offset", l.entity_id FROM change_log l
         WHERE l.origin_node_id = $1 AND l."offset" > $2::bigint ORDER BY l."offset"`,
        [agent.nodeId, after],
      );
      for (const row of rows) {
        arrivedAt.set(row.entity_id, now);
        waiting.get(row.entity_id)?.();
        after = row.offset;
      }
    }
  })();

  const api = agentApi(agent);
  const latencies: number[] = [];
  const ids: string[] = [];
  // Warm-up: the first writes pay for connections and prepared plans.
  for (let i = 0; i < 10; i++) await api.registerMember(homes[0] as string, `Échauffement ${i}`);
  await until(async () => (await agent.agent.sync.status()).outboxPending === 0, 10_000);
  for (let i = 0; i < ARRIVALS; i++) {
    const startedAt = performance.now();
    const id = await api.registerMember(homes[i % homes.length] as string, `En ligne ${i}`);
    if (!arrivedAt.has(id)) {
      await Promise.race([
        new Promise<void>((resolve) => waiting.set(id, resolve)),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`write ${i} did not arrive within 10 s`)), 10_000),
        ),
      ]);
    }
    latencies.push((arrivedAt.get(id) as number) - startedAt);
    ids.push(id);
    await new Promise((r) => setTimeout(r, 5 + (i % 10)));
  }
  await wakeups.return?.();
  await watching;

  const db = await hub.query<{ ms: number }>(
    `SELECT (EXTRACT(EPOCH FROM (recorded_at - occurred_at)) * 1000)::float8 AS ms
     FROM change_log WHERE entity_id = ANY($1::text[])`,
    [ids],
  );
  const dbLatencies = db.map((r) => Number(r.ms));
  const p95 = percentile(latencies, 95);
  console.log(
    `${label.padEnd(9)} ONLINE ARRIVAL, ${ARRIVALS} writes one at a time, API call → committed at the hub: ` +
      `p50 ${ms(median(latencies))}, p95 ${ms(p95)}, max ${ms(Math.max(...latencies))}`,
  );
  console.log(
    `${label.padEnd(9)}   (from the databases, occurredAt → the hub log's recorded_at: ` +
      `p50 ${ms(median(dbLatencies))}, p95 ${ms(percentile(dbLatencies, 95))})`,
  );
  return p95;
}

async function run(backend: Backend) {
  const label = backend;
  const resources = new Resources();
  try {
    const hub = resources.add(await startClusterHub(backend));
    const spy = recordHubCalls();
    const agent = resources.add(
      await startClusterAgent(hub, {
        name: "bench",
        backend,
        fetch: spy.fetch,
        // The production settings (batches of 1,000), with a short backoff cap: the wait after
        // the hub's restart is reported apart from the drain.
        sync: {
          backoff: { baseMs: 50, capMs: 200 },
          pullLimit: 1000,
          pushBatch: 1000,
          subscribe: true,
          pollIntervalMs: 30_000,
        },
      }),
    );
    const api = agentApi(agent);
    const homes = [agent.fabriqueId];
    for (let i = 0; i < 20; i++) {
      homes.push(await api.createSatellite({ name: `Satellite ${i}`, communeCode: "07186" }));
    }
    await until(async () => (await agent.agent.sync.status()).outboxPending === 0, 10_000);
    const throughput = await backlog(label, hub, agent, spy, homes);
    const p95 = await arrivals(label, hub, agent, homes);
    return { throughput, p95 };
  } finally {
    await resources.closeAll();
  }
}

const results: { backend: Backend; throughput: number; p95: number }[] = [];
// Like packages/hub/bench: the PostgreSQL run is opted into by the integration suite's variable.
// biome-ignore lint/suspicious/noUndeclaredEnvVars: a bench script, not a turbo task
if (process.env.DATABASE_URL) {
  results.push({ backend: "postgres", ...(await run("postgres")) });
} else {
  console.log("postgres  skipped: DATABASE_URL is not set (the goals are stated for PostgreSQL)");
}
results.push({ backend: "pglite", ...(await run("pglite")) });

console.log("");
for (const r of results) {
  const backlogOk = r.throughput >= GOAL_EVENTS_PER_SECOND ? "met" : "MISSED";
  const arrivalOk = r.p95 <= GOAL_ARRIVAL_P95_MS ? "met" : "MISSED";
  console.log(
    `${r.backend.padEnd(9)} goals: backlog ≥ ${rate(GOAL_EVENTS_PER_SECOND)}: ${backlogOk} (${rate(r.throughput)}); ` +
      `online arrival p95 ≤ ${GOAL_ARRIVAL_P95_MS} ms: ${arrivalOk} (${ms(r.p95)})`,
  );
}
