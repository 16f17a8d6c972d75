// `npm run bench:health [-- region]` (or `tsx bench/health.ts --scale region`): seeds a
// network (default: national — 400 fabriques, 4,000 satellites, two years of daily activity) into a throwaway PostgreSQL
// database on the server of DATABASE_URL, starts a hub on it and times `networkHealth` over
// real HTTP (coverage, liveness, activity and mutualisation): all of France and one region,
// for the default 30-day period and for 365 days.
// Prints the seed time, row counts and p50/p95 per case.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
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
const QUERY = `query Health($filter: NetworkHealthFilter) { networkHealth(filter: $filter) {
  scope scopeId from to
  coverage { fabriques satellites spaces activeSpaces silentSpaces communesCovered ruralSpaces ruralShare }
  liveness { online stale silent worstLags { nodeId fabriqueName liveness lagSeconds pending lastSeenAt } }
  activity { visitors events participants openHours reports visitorsTrend eventsTrend
             participantsTrend openHoursTrend
             previous { visitors events participants openHours reports } }
  mutualisation { resources sharedResources availableResources
                  resourcesBySharingScope { sharingScope resources }
                  resourcesByCategory { category resources sharedResources }
                  bookings bookedHours crossNodeBookings crossNodeShare loans resourceOpenHours
                  utilisation bookingsTrend bookedHoursTrend crossNodeBookingsTrend loansTrend
                  utilisationTrend
                  previous { bookings bookedHours crossNodeBookings crossNodeShare loans
                             resourceOpenHours utilisation } }
  regions { code name visitors events participants openHours
            sharedResources bookings bookedHours crossNodeBookings loans utilisation
            coverage { fabriques satellites spaces activeSpaces ruralShare }
            departments { code name coverage { spaces activeSpaces ruralShare } } } } }`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function isoDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

// `--scale region` directly (tsx bench/health.ts), or `region` alone: through the root
// script, npm keeps `--scale` for itself and passes only the value on.
const { values, positionals } = parseArgs({
  options: { scale: { type: "string" } },
  allowPositionals: true,
});
const scale = values.scale ?? positionals[0] ?? "national";
if (scale !== "national" && scale !== "region") {
  console.error("--scale: national or region");
  process.exit(2);
}
if (!process.env.DATABASE_URL) {
  console.error(
    "bench:health runs on PostgreSQL: set DATABASE_URL (the server to create a throwaway database on)",
  );
  process.exit(2);
}

const db = await createThrowawayDatabase();
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-bench-"));
const config = loadHubConfig({}, { dataDir, databaseUrl: db.url, port: 0, logLevel: "silent" });
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
    `SELECT (SELECT count(*) FROM space)::text AS spaces, (SELECT count(*) FROM node)::text AS nodes,
            (SELECT count(*) FROM activity_report)::text AS reports,
            (SELECT count(*) FROM activity_rollup)::text AS rollups,
            (SELECT count(*) FROM resource)::text AS resources,
            (SELECT count(*) FROM booking)::text AS bookings,
            (SELECT count(*) FROM booking_rollup)::text AS booking_rollups`,
  );
  console.log(
    `\n${scale} seed: ${seeded.fabriques} fabriques, ${seeded.satellites} satellites, ` +
      `${seeded.reports.toLocaleString("en")} reports (${seeded.from} → ${seeded.to}), ` +
      `${seeded.rollups.toLocaleString("en")} rollup rows in ${seeded.seconds} s ` +
      `(tables: ${JSON.stringify(tables)})`,
  );

  const { url } = await hub.start();
  const token = await signHubToken(hub.keys, config, { role: "NATIONAL" }, "1h");
  const ask = async (filter: Record<string, string>) => {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: QUERY, variables: { filter } }),
    });
    const body = (await response.json()) as { errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
  };
  const today = isoDay(Date.now());
  const year = { from: isoDay(Date.now() - 364 * 86_400_000), to: today };
  const cases: [string, Record<string, string>][] = [
    ["France, 30 days", {}],
    [`region ${REGION}, 30 days`, { region: REGION }],
    ["France, 365 days", year],
    [`region ${REGION}, 365 days`, { region: REGION, ...year }],
  ];
  for (const [label, filter] of cases) {
    for (let i = 0; i < WARMUP; i++) await ask(filter);
    const samples: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const start = performance.now();
      await ask(filter);
      samples.push(performance.now() - start);
    }
    samples.sort((a, b) => a - b);
    console.log(
      `networkHealth ${label.padEnd(20)} ${ROUNDS} calls: ` +
        `p50 ${percentile(samples, 50).toFixed(1)} ms, p95 ${percentile(samples, 95).toFixed(1)} ms`,
    );
  }
} finally {
  await hub.stop();
  await db.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
}
