// `npm run bench:limits`: how fast the hub refuses the alias floods (500 and 2,000
// aliases of `spaces(first: 50)`) and what a concurrent caller's tiny query sees meanwhile,
// over real HTTP on the demo network (embedded PGlite). Prints p50/p95.
// `npm run bench:limits -- unlimited` also runs the 500-alias query with the limits lifted,
// to show what they prevent (a few rounds only: each takes seconds).
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { pino } from "pino";
import { createHub } from "../src/app.ts";
import { signHubToken } from "../src/auth/tokens.ts";
import { seedDemoNetwork } from "../src/demo.ts";
import { loadHubConfig } from "../src/env.ts";
import { NO_RATE_LIMITS } from "./support/no-rate-limits.ts";

const ROUNDS = 200;
const WARMUP = 20;
/** Callers flooding the hub with refused queries while the tiny query is timed. */
const FLOODERS = 4;
const TINY = "query Tiny { fabriques { id name } }";

const aliases = (n: number, field = "spaces(first: 50) { edges { node { id name kind } } }") =>
  `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(" ")} }`;

/**
 * Callers sending `query` back to back, each in its own thread (its own event loop, like
 * another client machine), checking every answer is a refusal.
 */
const FLOODER = `
  const { parentPort, workerData } = require("node:worker_threads");
  let flooding = true;
  let refused = 0;
  parentPort.on("message", () => { flooding = false; });
  (async () => {
    const started = performance.now();
    parentPort.postMessage({ started: true });
    while (flooding) {
      const response = await fetch(workerData.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer " + workerData.token },
        body: workerData.body,
      });
      const answer = await response.json();
      if (answer.errors?.[0]?.extensions?.code !== "QUERY_TOO_COMPLEX") throw new Error("not refused");
      refused++;
    }
    parentPort.postMessage({ refused, seconds: (performance.now() - started) / 1000 });
  })();
`;

function startFlood(url: string, token: string, query: string, callers: number) {
  const body = JSON.stringify({ query });
  const workers = Array.from(
    { length: callers },
    () => new Worker(FLOODER, { eval: true, workerData: { url, token, body } }),
  );
  const next = (worker: Worker) =>
    new Promise<{ started?: boolean; refused?: number; seconds?: number }>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
  const started = Promise.all(workers.map(next));
  return {
    started,
    async stop() {
      const ends = workers.map(next);
      for (const worker of workers) worker.postMessage("stop");
      const results = await Promise.all(ends);
      await Promise.all(workers.map((worker) => worker.terminate()));
      return {
        refused: results.reduce((sum, r) => sum + (r.refused ?? 0), 0),
        seconds: Math.max(...results.map((r) => r.seconds ?? 0)),
      };
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms`;
}

async function main(unlimited: boolean) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-bench-limits-"));
  const huge = String(Number.MAX_SAFE_INTEGER);
  const env = unlimited
    ? {
        ...NO_RATE_LIMITS,
        GRAPHQL_MAX_TOKENS: huge,
        GRAPHQL_MAX_ALIASES: huge,
        GRAPHQL_MAX_COST: huge,
        GRAPHQL_MAX_DEPTH: huge,
      }
    : NO_RATE_LIMITS;
  const config = loadHubConfig(env, { dataDir, port: 0, logLevel: "silent" });
  const hub = await createHub(config, { logger: pino({ level: "silent" }) });
  try {
    await seedDemoNetwork(hub);
    const { url } = await hub.start();
    const token = await signHubToken(hub.keys, config, { role: "NATIONAL" }, "1h");
    const ask = async (query: string) => {
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
      return (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    };
    const timed = async (query: string, expectCode: string | null) => {
      const started = performance.now();
      const body = await ask(query);
      const elapsed = performance.now() - started;
      const code = body.errors?.[0]?.extensions?.code ?? null;
      if (code !== expectCode)
        throw new Error(`expected ${expectCode}, got ${JSON.stringify(body.errors)}`);
      return elapsed;
    };

    if (unlimited) {
      const samples: number[] = [];
      for (let i = 0; i < 3; i++) samples.push(await timed(aliases(500), null));
      console.log(`limits lifted: 500 aliases executed, 3 calls: ${summary(samples)}`);
      return;
    }

    for (let i = 0; i < WARMUP; i++) {
      await timed(TINY, null);
      await timed(aliases(2000), "QUERY_TOO_COMPLEX");
    }
    for (const [label, query] of [
      ["500 aliases (token limit)", aliases(500)],
      ["2,000 aliases (token limit)", aliases(2000)],
      ["31 aliases (alias limit)", aliases(31, "fabriques { id }")],
    ] as const) {
      const samples: number[] = [];
      for (let i = 0; i < ROUNDS; i++) samples.push(await timed(query, "QUERY_TOO_COMPLEX"));
      console.log(`refused, ${label.padEnd(28)} ${ROUNDS} calls: ${summary(samples)}`);
    }

    // CPU time per request, in process (no socket, no client): what a refusal costs the hub
    // whatever the machine's load, beside an ordinary small query.
    for (const [label, query] of [
      ["refusal of 500 aliases ", aliases(500)],
      ["refusal of 2000 aliases", aliases(2000)],
      ["tiny query (answered)  ", TINY],
    ] as const) {
      const body = JSON.stringify({ query });
      const calls = 500;
      const before = process.cpuUsage();
      for (let i = 0; i < calls; i++) {
        const response = await hub.fetch("http://hub.bench/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body,
        });
        await response.text();
      }
      const used = process.cpuUsage(before);
      console.log(
        `CPU per ${label}, in process, ${calls} calls: ${((used.user + used.system) / 1000 / calls).toFixed(2)} ms`,
      );
    }

    const alone: number[] = [];
    for (let i = 0; i < ROUNDS; i++) alone.push(await timed(TINY, null));
    console.log(`tiny query alone${" ".repeat(24)} ${ROUNDS} calls: ${summary(alone)}`);

    for (const [flooders, n] of [
      [1, 500],
      [1, 2000],
      [FLOODERS, 500],
      [FLOODERS, 2000],
    ] as const) {
      const flood = startFlood(`${url}/graphql`, token, aliases(n), flooders);
      await flood.started;
      const during: number[] = [];
      for (let i = 0; i < ROUNDS; i++) during.push(await timed(TINY, null));
      const { refused, seconds } = await flood.stop();
      console.log(
        `tiny query, ${flooders} caller(s) sending ${String(n).padEnd(4)} aliases non-stop, ${ROUNDS} calls: ` +
          `${summary(during)} (${Math.round(refused / seconds)} refusals/s meanwhile)`,
      );
    }
  } finally {
    await hub.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

await main(false);
if (process.argv.includes("unlimited")) await main(true);
