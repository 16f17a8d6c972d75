// `npm run bench:registry`: latency of `spaces(first: 50)` on the demo network, over real
// HTTP, on embedded PGlite and (when DATABASE_URL is set) on PostgreSQL. Prints p50/p95.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createThrowawayDatabase } from "@maillage/storage/testing";
import { pino } from "pino";
import { createHub } from "../src/app.ts";
import { signHubToken } from "../src/auth/tokens.ts";
import { seedDemoNetwork } from "../src/demo.ts";
import { loadHubConfig } from "../src/env.ts";
import { NO_RATE_LIMITS } from "./support/no-rate-limits.ts";

const ROUNDS = 300;
const WARMUP = 30;
const QUERY = `query Spaces { spaces(first: 50) { totalCount edges { node {
  id name kind rural services commune { name department { name } region { name } }
  fabrique { name } } } } }`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function run(label: string, databaseUrl: string | undefined) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-bench-"));
  const config = loadHubConfig(NO_RATE_LIMITS, {
    dataDir,
    databaseUrl,
    port: 0,
    logLevel: "silent",
  });
  const hub = await createHub(config, { logger: pino({ level: "silent" }) });
  try {
    await seedDemoNetwork(hub);
    const { url } = await hub.start();
    const token = await signHubToken(hub.keys, config, { role: "NATIONAL" }, "1h");
    const ask = async () => {
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: QUERY }),
      });
      const body = (await response.json()) as { errors?: unknown };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
    };
    for (let i = 0; i < WARMUP; i++) await ask();
    const samples: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const start = performance.now();
      await ask();
      samples.push(performance.now() - start);
    }
    samples.sort((a, b) => a - b);
    console.log(
      `${label.padEnd(10)} spaces(first: 50) on the demo network, ${ROUNDS} calls: ` +
        `p50 ${percentile(samples, 50).toFixed(1)} ms, p95 ${percentile(samples, 95).toFixed(1)} ms`,
    );
  } finally {
    await hub.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

await run("pglite", undefined);
if (process.env.DATABASE_URL) {
  const db = await createThrowawayDatabase();
  try {
    await run("postgres", db.url);
  } finally {
    await db.drop();
  }
}
