// `npm run bench:mobility [-- region]` (or `tsx bench/mobility.ts --scale region`): seeds a
// network (default: national — 400 fabriques, 4,000 satellites, two years of activity, and a
// few million members' visits away from home between neighbouring territories) into a
// PostgreSQL database on the server of DATABASE_URL (default: the local one), kept between
// runs (support/national.ts), starts a hub on it and times over real HTTP `networkHealth` with its
// mobility section (France, a region, a fabrique's team; the flows matrix with its totals and
// region rows), then check-in with pass verification at a node agent, offline
// (tests/bench/mobility-checkin.ts). Prints the seed time, row counts and p50/p95 per case
// (goals: both p95 ≤ 50 ms).
import fs from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { BENCH_REGION } from "./support/national.ts";
import { lastYear, openSeededHub, scaleFromArgs, timeCalls } from "./support/seeded-hub.ts";
import { percentile } from "./support/stats.ts";

const ROUNDS = 100;
const WARMUP = 10;
const REGION = BENCH_REGION;

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

const { values, positionals } = parseArgs({
  options: { scale: { type: "string" }, iterations: { type: "string" } },
  allowPositionals: true,
});
const s = await openSeededHub(scaleFromArgs(values, positionals));
try {
  const [tables] = await s.hub.db.store.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM visit)::text AS visits,
            (SELECT count(DISTINCT member_id) FROM visit)::text AS travellers,
            (SELECT count(*) FROM visit WHERE home_network_id <> network_id)::text AS cross_territory,
            (SELECT count(*) FROM mobility_presence)::text AS presence_rows,
            (SELECT count(*) FROM mobility_rollup)::text AS rollup_rows`,
  );
  console.log(
    `${(s.database.seed.visits ?? 0).toLocaleString("en")} visits ` +
      `(${s.database.seed.from} → ${s.database.seed.to}) (tables: ${JSON.stringify(tables)})`,
  );
  type Mobility = {
    networkHealth: { mobility: { flowCount: number; flows: { suppressed: boolean }[] } };
  };
  const year = lastYear();
  const cases: [string, string, Record<string, unknown>][] = [
    ["mobility France 30 d", s.nationalToken, { filter: {} }],
    ["mobility France 365 d", s.nationalToken, { filter: year }],
    [`mobility region ${REGION} 30 d`, s.nationalToken, { filter: { region: REGION } }],
    ["mobility team 30 d", s.teamToken, { filter: {} }],
  ];
  for (const [label, token, variables] of cases) {
    const sample = await s.ask<Mobility>(token, HEALTH, variables);
    const flows = sample.networkHealth.mobility.flows;
    const samples = await timeCalls(() => s.ask(token, HEALTH, variables), ROUNDS, WARMUP);
    console.log(
      `${label.padEnd(26)} ${ROUNDS} calls: p50 ${percentile(samples, 50).toFixed(1)} ms, ` +
        `p95 ${percentile(samples, 95).toFixed(1)} ms (${sample.networkHealth.mobility.flowCount} flows, ${flows.length} shown, ` +
        `${flows.filter((f) => f.suppressed).length} suppressed)`,
    );
  }
} finally {
  await s.close();
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
