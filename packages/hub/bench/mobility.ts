// `npm run bench:mobility [-- region]` (or `tsx bench/mobility.ts --scale region`): seeds a
// network (default: national — 400 fabriques, 4,000 satellites, two years of activity, and a
// few million members' visits away from home between neighbouring territories) into a
// throwaway PostgreSQL database on the server of DATABASE_URL (or, without it, an embedded
// PGlite in a temp dir), starts a hub on it and times over real HTTP `networkHealth` with its
// mobility section (France, a region, a fabrique's team; the flows matrix with its totals and
// region rows), then check-in with pass verification at a node agent, offline
// (tests/bench/mobility-checkin.ts). Prints the seed time, row counts and p50/p95 per case
// (goals: both p95 ≤ 50 ms).
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { createThrowawayDatabase } from "@maillage/storage/testing";
import { pino } from "pino";
import { createHub } from "../src/app.ts";
import { signHubToken } from "../src/auth/tokens.ts";
import { loadHubConfig } from "../src/env.ts";
import { seedNetwork } from "../src/seed/generate.ts";

const ROUNDS = 100;
const WARMUP = 10;
const REGION = "84";

const CELL = "visits members suppressed";
const HEALTH = `query Mobility($filter: NetworkHealthFilter) { networkHealth(filter: $filter) {
  scope scopeId from to
  mobility { month previousMonth outgoing { ${CELL} } incoming { ${CELL} }
    previous { month outgoing { ${CELL} } incoming { ${CELL} } }
    outgoingVisitsTrend outgoingMembersTrend incomingVisitsTrend
    months { month outgoing { ${CELL} } incoming { ${CELL} } }
    flowCount territoryCount flows { origin { id name } destination { id name } ${CELL} }
    origins { territory { id name } ${CELL} } destinations { territory { id name } ${CELL} }
    regions { code name outgoing { ${CELL} } incoming { ${CELL} } }
    regionFlows { origin { code name } destination { code name } ${CELL} } } } }`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function isoDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

const { values, positionals } = parseArgs({
  options: { scale: { type: "string" }, iterations: { type: "string" } },
  allowPositionals: true,
});
const scale = values.scale ?? positionals[0] ?? "national";
if (scale !== "national" && scale !== "region") {
  console.error("--scale: national or region");
  process.exit(2);
}

const db = process.env.DATABASE_URL ? await createThrowawayDatabase() : undefined;
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-bench-mobility-"));
const config = loadHubConfig({}, { dataDir, databaseUrl: db?.url, port: 0, logLevel: "silent" });
const hub = await createHub(config, { logger: pino({ level: "silent" }) });
try {
  let shown = "";
  const seeded = await seedNetwork(hub.db.store, {
    scale,
    seed: 1,
    onProgress: (done, total, phase) => {
      const step = `${phase} ${Math.floor((done / total) * 10) * 10}%`;
      if (step !== shown) process.stdout.write(`${shown ? ", " : "  seeding: "}${step}`);
      shown = step;
    },
  });
  await hub.db.store.exec("ANALYZE");
  const [tables] = await hub.db.store.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM visit)::text AS visits,
            (SELECT count(DISTINCT member_id) FROM visit)::text AS travellers,
            (SELECT count(*) FROM visit WHERE home_network_id <> network_id)::text AS cross_territory,
            (SELECT count(*) FROM mobility_presence)::text AS presence_rows,
            (SELECT count(*) FROM mobility_rollup)::text AS rollup_rows`,
  );
  console.log(
    `\n${scale} seed on ${db ? "PostgreSQL" : "PGlite"}: ${seeded.fabriques} fabriques, ` +
      `${seeded.satellites} satellites, ${(seeded.visits ?? 0).toLocaleString("en")} visits ` +
      `(${seeded.from} → ${seeded.to}) in ${seeded.seconds} s (tables: ${JSON.stringify(tables)})`,
  );

  const [team] = await hub.db.store.query<{ id: string }>(
    `SELECT f.id FROM space f WHERE f.kind = 'FABRIQUE' AND f.region_code = $1
     ORDER BY f.id LIMIT 1`,
    [REGION],
  );
  if (!team) throw new Error(`no fabrique in region ${REGION}`);
  const { url } = await hub.start();
  const nationalToken = await signHubToken(hub.keys, config, { role: "NATIONAL" }, "1h");
  const teamToken = await signHubToken(
    hub.keys,
    config,
    { role: "FABRIQUE_ADMIN", fabriqueId: team.id },
    "1h",
  );
  const ask = async (token: string, variables: Record<string, unknown>) => {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: HEALTH, variables }),
    });
    const body = (await response.json()) as {
      errors?: unknown;
      data?: {
        networkHealth: { mobility: { flowCount: number; flows: { suppressed: boolean }[] } };
      };
    };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const today = isoDay(Date.now());
  const year = { from: isoDay(Date.now() - 364 * 86_400_000), to: today };
  const cases: [string, string, Record<string, unknown>][] = [
    ["mobility France 30 d", nationalToken, { filter: {} }],
    ["mobility France 365 d", nationalToken, { filter: year }],
    [`mobility region ${REGION} 30 d`, nationalToken, { filter: { region: REGION } }],
    ["mobility team 30 d", teamToken, { filter: {} }],
  ];
  for (const [label, token, variables] of cases) {
    const sample = await ask(token, variables);
    const flows = sample?.networkHealth.mobility.flows ?? [];
    for (let i = 0; i < WARMUP; i++) await ask(token, variables);
    const samples: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const start = performance.now();
      await ask(token, variables);
      samples.push(performance.now() - start);
    }
    samples.sort((a, b) => a - b);
    console.log(
      `${label.padEnd(26)} ${ROUNDS} calls: p50 ${percentile(samples, 50).toFixed(1)} ms, ` +
        `p95 ${percentile(samples, 95).toFixed(1)} ms (${sample?.networkHealth.mobility.flowCount} flows, ${flows.length} shown, ` +
        `${flows.filter((f) => f.suppressed).length} suppressed)`,
    );
  }
} finally {
  await hub.stop();
  await db?.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
}

// Check-in with pass verification at a node agent (the agent's own bench, run here).
const checkIn = fileURLToPath(new URL("../../../tests/bench/mobility-checkin.ts", import.meta.url));
const present = await fs
  .stat(checkIn)
  .then(() => true)
  .catch(() => false);
if (!present) {
  console.log("check-in: tests/bench/mobility-checkin.ts is not there; not measured");
} else {
  const { benchCheckIn } = (await import(pathToFileURL(checkIn).href)) as {
    benchCheckIn(o: { iterations: number }): Promise<{ medianMs: number; p95Ms: number }>;
  };
  const iterations = Number(values.iterations ?? 200);
  const r = await benchCheckIn({ iterations });
  console.log(
    `check-in at an agent (PGlite, offline) ${iterations} calls: p50 ${r.medianMs.toFixed(1)} ms, p95 ${r.p95Ms.toFixed(1)} ms`,
  );
}
