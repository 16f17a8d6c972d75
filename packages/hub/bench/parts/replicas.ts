// Part 6: delivery across replicas. Two hubs (A and B, child processes) on one PostgreSQL
// database (a copy of the national one) and one Redis (REDIS_URL, default
// redis://127.0.0.1:6379), sharing their signing keys. One graphql-ws subscriber to
// `spaceChanged` on B and one on A; `rounds × 2` updateSpace mutations on A, one after the
// other. Per write: the time from sending the mutation until B's subscriber received it
// (cross-replica), until A's did (same replica, the floor: it goes through Redis too), until A
// answered.
import type { BenchPart } from "../support/context.ts";
import { postOnce } from "../support/load.ts";
import { benchFabrique, copyOfNational } from "../support/national.ts";
import type { PartResult } from "../support/report.ts";
import { startHubServer } from "../support/servers.ts";
import { fixed, latency, median } from "../support/stats.ts";
import { openSubscribers } from "../support/subscribers.ts";

const SUBSCRIPTION = "subscription { spaceChanged { change space { id name } } }";
const TRIGGER = `mutation($id: ID!, $name: String!) {
  updateSpace(id: $id, input: { name: $name }) { id name } }`;
const DELIVERY_TIMEOUT_MS = 10_000;

export const replicasPart: BenchPart = {
  name: "replicas",
  title: "6. cross-replica delivery (write on A, subscriber on B)",
  async run(ctx): Promise<PartResult> {
    const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
    const national = await ctx.national();
    const copy = await copyOfNational(national);
    ctx.log(`  copy of the national database in ${copy.seconds.toFixed(1)} s`);
    const dataDir = await ctx.scratch("replicas");
    try {
      const space = await benchFabrique(copy.url);
      const a = await startHubServer({ databaseUrl: copy.url, dataDir, redisUrl });
      const b = await startHubServer({ databaseUrl: copy.url, dataDir, redisUrl }).catch(
        async (error) => {
          await a.stop();
          throw error;
        },
      );
      try {
        const token = await a.token({ role: "NATIONAL" });
        const arrivals = new Map<string, { a?: number; b?: number; done?: () => void }>();
        const onNext = (side: "a" | "b") => (data: unknown) => {
          const name = (data as { spaceChanged?: { space?: { name?: string } } })?.spaceChanged
            ?.space?.name;
          const entry = name ? arrivals.get(name) : undefined;
          if (!entry || entry[side] !== undefined) return;
          entry[side] = performance.now();
          if (entry.a !== undefined && entry.b !== undefined) entry.done?.();
        };
        const onA = await openSubscribers({
          url: a.url,
          count: 1,
          query: SUBSCRIPTION,
          authToken: token,
          onNext: onNext("a"),
        });
        const onB = await openSubscribers({
          url: b.url,
          count: 1,
          query: SUBSCRIPTION,
          authToken: token,
          onNext: onNext("b"),
        });
        try {
          const write = async (name: string) => {
            const entry: { a?: number; b?: number; done?: () => void } = {};
            const both = new Promise<boolean>((resolve) => {
              entry.done = () => resolve(true);
              setTimeout(() => resolve(false), DELIVERY_TIMEOUT_MS).unref();
            });
            arrivals.set(name, entry);
            const started = performance.now();
            const answer = await postOnce(
              `${a.url}/graphql`,
              { query: TRIGGER, variables: { id: space.id, name } },
              { authorization: `Bearer ${token}` },
            );
            const answeredMs = performance.now() - started;
            if (answer.status !== 200 || answer.json.errors) {
              throw new Error(JSON.stringify(answer.json).slice(0, 300));
            }
            const delivered = await both;
            arrivals.delete(name);
            return {
              answeredMs,
              crossMs: delivered && entry.b !== undefined ? entry.b - started : Number.NaN,
              sameMs: delivered && entry.a !== undefined ? entry.a - started : Number.NaN,
            };
          };
          // Subscriptions become live shortly after the socket's ack: write until both deliver.
          for (let i = 0; i < 20; i++) {
            const warm = await write(`replicas warm-up ${i}`);
            if (Number.isFinite(warm.crossMs) && Number.isFinite(warm.sameMs)) break;
            if (i === 19) throw new Error("no delivery on both replicas after 20 writes");
          }
          const writes = [];
          for (let i = 0; i < ctx.rounds * 2; i++) writes.push(await write(`replicas ${i}`));
          const lost = writes.filter((w) => !Number.isFinite(w.crossMs)).length;
          const cross = latency(writes.map((w) => w.crossMs).filter(Number.isFinite));
          const same = latency(writes.map((w) => w.sameMs).filter(Number.isFinite));
          const answered = latency(writes.map((w) => w.answeredMs));
          const three = (l: typeof cross) =>
            `${fixed(l.p50, 1)} / ${fixed(l.p95, 1)} / ${fixed(l.p99, 1)}`;
          return {
            part: "replicas",
            title: "6. cross-replica delivery (write on A, subscriber on B)",
            rows: [
              {
                measure: `mutation sent → subscriber received: p50 / p95 / p99 (ms), ${writes.length} writes`,
                subject: `on B: ${three(cross)}${lost ? ` (${lost} not delivered in 10 s)` : ""}`,
                floor: `on A: ${three(same)}`,
                ratio: fixed(cross.p50 / same.p50, 2),
              },
              {
                measure: "mutation answered by A: p50 / p95 / p99 (ms)",
                subject: three(answered),
                floor: "–",
                ratio: "–",
              },
            ],
            data: {
              redisUrl,
              writes,
              crossMs: cross,
              sameMs: same,
              answeredMs: answered,
              crossMinusSameMedianMs: median(
                writes.map((w) => w.crossMs - w.sameMs).filter(Number.isFinite),
              ),
            },
            notes: [
              "both subscribers hear the event through Redis; the floor is the same replica's subscriber",
            ],
          };
        } finally {
          await onA.close();
          await onB.close();
        }
      } finally {
        await a.stop();
        await b.stop();
      }
    } finally {
      await copy.drop();
    }
  },
};
