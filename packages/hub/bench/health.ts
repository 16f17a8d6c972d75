// `npm run bench:health --workspace @maillage/hub [-- region]` (or `tsx bench/health.ts
// --scale region`): times `networkHealth` over real HTTP (coverage, liveness, activity and
// mutualisation) on the seeded network of the scale (default: national — 400 fabriques, 4,000
// satellites, two years of daily activity), seeded once and kept between runs
// (support/national.ts): all of France, one region and a fabrique's team, for the default
// 30-day period and for 365 days. Prints the seed, row counts and p50/p95 per case.
// `npm run bench:networkhealth` runs the same cases as part 5 of the suite (suite.ts).
import { parseArgs } from "node:util";
import { timeHealth } from "./parts/health.ts";
import { openSeededHub, scaleFromArgs } from "./support/seeded-hub.ts";
import { percentile } from "./support/stats.ts";

const ROUNDS = 100;

const { values, positionals } = parseArgs({
  options: { scale: { type: "string" } },
  allowPositionals: true,
});
const s = await openSeededHub(scaleFromArgs(values, positionals));
try {
  const [tables] = await s.hub.db.store.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM space)::text AS spaces, (SELECT count(*) FROM node)::text AS nodes,
            (SELECT count(*) FROM activity_report)::text AS reports,
            (SELECT count(*) FROM activity_rollup)::text AS rollups,
            (SELECT count(*) FROM resource)::text AS resources,
            (SELECT count(*) FROM booking)::text AS bookings,
            (SELECT count(*) FROM booking_rollup)::text AS booking_rollups`,
  );
  console.log(`tables: ${JSON.stringify(tables)}`);
  for (const { label, samples } of await timeHealth(s, ROUNDS)) {
    console.log(
      `networkHealth ${label.padEnd(20)} ${ROUNDS} calls: ` +
        `p50 ${percentile(samples, 50).toFixed(1)} ms, p95 ${percentile(samples, 95).toFixed(1)} ms`,
    );
  }
} finally {
  await s.close();
}
