// `npm run bench:trainings [-- region]` (or `tsx bench/trainings.ts --scale region`): seeds a
// network (default: national — 400 fabriques, 4,000 satellites, two years of activity, and
// tens of thousands of training sessions with their enrolments, waitlists, attendance and
// credentials) into a throwaway PostgreSQL database on the server of DATABASE_URL (or, without
// it, an embedded PGlite in a temp dir), starts a hub on it and times over real HTTP:
// - discovery: `trainings` pages of 50 with seats left and waitlist length, for the national
//   body, a fabrique's team, with filters (region, seats left, topic), near a commune, and a
//   second page;
// - `networkHealth` with its training section, France and one region, 30 and 365 days.
// Prints the seed time, row counts and p50/p95 per case (goals: discovery p95 ≤ 100 ms,
// networkHealth p95 ≤ 50 ms).
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

const TRAININGS = `query Trainings($filter: TrainingFilter, $after: String) {
  trainings(filter: $filter, first: 50, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id title topic tags startsAt endsAt online venueSpaceId spaceId scope
      capacity prerequisites grants { type validityDays } trainerName status
      seats { capacity taken left waitlisted } } } } }`;

const FIGURES = `trainings cancelledTrainings seatsOffered seatsFilled fillRate waitlisted
  waitlistPressure attended noShow attendanceRate noShowRate hoursDelivered credentialsIssued
  crossNodeEnrolments crossNodeShare cancellations`;
const HEALTH = `query Health($filter: NetworkHealthFilter) { networkHealth(filter: $filter) {
  scope scopeId from to
  coverage { fabriques satellites spaces activeSpaces silentSpaces communesCovered ruralSpaces ruralShare }
  liveness { online stale silent worstLags { nodeId fabriqueName liveness lagSeconds pending lastSeenAt } }
  activity { visitors events participants openHours reports visitorsTrend eventsTrend
             participantsTrend openHoursTrend previous { visitors events participants openHours reports } }
  mutualisation { resources sharedResources availableResources bookings bookedHours crossNodeBookings
                  crossNodeShare loans resourceOpenHours utilisation bookingsTrend utilisationTrend }
  training { ${FIGURES} previous { ${FIGURES} } byTopic { topic ${FIGURES} }
             trainingsTrend seatsFilledTrend hoursDeliveredTrend credentialsIssuedTrend attendanceRateTrend }
  regions { code name visitors bookings training { ${FIGURES} }
            coverage { fabriques satellites spaces activeSpaces ruralShare } } } }`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function isoDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

// `--scale region` directly, or `region` alone through the root script (npm keeps `--scale`).
const { values, positionals } = parseArgs({
  options: { scale: { type: "string" } },
  allowPositionals: true,
});
const scale = values.scale ?? positionals[0] ?? "national";
if (scale !== "national" && scale !== "region") {
  console.error("--scale: national or region");
  process.exit(2);
}

const db = process.env.DATABASE_URL ? await createThrowawayDatabase() : undefined;
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-bench-trainings-"));
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
    `SELECT (SELECT count(*) FROM space)::text AS spaces,
            (SELECT count(*) FROM training)::text AS trainings,
            (SELECT count(*) FROM training WHERE starts_at > now() AT TIME ZONE 'UTC')::text AS upcoming,
            (SELECT count(*) FROM enrolment)::text AS enrolments,
            (SELECT count(*) FROM credential WHERE training_id IS NOT NULL)::text AS credentials,
            (SELECT count(*) FROM training_rollup)::text AS training_rollups`,
  );
  console.log(
    `\n${scale} seed on ${db ? "PostgreSQL" : "PGlite"}: ${seeded.fabriques} fabriques, ` +
      `${seeded.satellites} satellites, ${seeded.reports.toLocaleString("en")} reports, ` +
      `${(seeded.trainings ?? 0).toLocaleString("en")} training sessions ` +
      `(${seeded.from} → ${seeded.to} and 8 weeks ahead) in ${seeded.seconds} s ` +
      `(tables: ${JSON.stringify(tables)})`,
  );

  const [team] = await hub.db.store.query<{ id: string; commune_code: string }>(
    `SELECT f.id, f.commune_code FROM space f WHERE f.kind = 'FABRIQUE' AND f.region_code = $1
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
  const ask = async (token: string, query: string, variables: Record<string, unknown>) => {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { errors?: unknown; data?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const firstPage = (await ask(teamToken, TRAININGS, { filter: {} })) as {
    trainings: { pageInfo: { endCursor: string } };
  };
  const after = firstPage.trainings.pageInfo.endCursor;

  const today = isoDay(Date.now());
  const year = { from: isoDay(Date.now() - 364 * 86_400_000), to: today };
  const cases: [string, string, string, Record<string, unknown>][] = [
    ["trainings, national body", nationalToken, TRAININGS, { filter: {} }],
    ["trainings, a team", teamToken, TRAININGS, { filter: {} }],
    ["trainings, team, page 2", teamToken, TRAININGS, { filter: {}, after }],
    [
      "trainings, region + seats",
      teamToken,
      TRAININGS,
      { filter: { region: REGION, hasSeats: true } },
    ],
    ["trainings, topic", teamToken, TRAININGS, { filter: { topic: "MACHINE_SAFETY" } }],
    [
      "trainings, near commune",
      teamToken,
      TRAININGS,
      { filter: { near: { communeCode: team.commune_code, within: "REGION" } } },
    ],
    ["networkHealth France 30 d", nationalToken, HEALTH, { filter: {} }],
    [`networkHealth ${REGION} 30 d`, nationalToken, HEALTH, { filter: { region: REGION } }],
    ["networkHealth France 365 d", nationalToken, HEALTH, { filter: year }],
    ["networkHealth team 30 d", teamToken, HEALTH, { filter: {} }],
  ];
  for (const [label, token, query, variables] of cases) {
    for (let i = 0; i < WARMUP; i++) await ask(token, query, variables);
    const samples: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const start = performance.now();
      await ask(token, query, variables);
      samples.push(performance.now() - start);
    }
    samples.sort((a, b) => a - b);
    console.log(
      `${label.padEnd(28)} ${ROUNDS} calls: p50 ${percentile(samples, 50).toFixed(1)} ms, ` +
        `p95 ${percentile(samples, 95).toFixed(1)} ms`,
    );
  }
} finally {
  await hub.stop();
  await db?.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
}

// The 30-way enrolment race at an organiser's agent (the agent's own bench, run here).
const race = fileURLToPath(new URL("../../../tests/bench/trainings-race.ts", import.meta.url));
const { benchEnrolmentRace } = (await import(pathToFileURL(race).href)) as {
  benchEnrolmentRace(o: { rounds: number }): Promise<{ medianMs: number; p95Ms: number }>;
};
const rounds = 20;
const wall = await benchEnrolmentRace({ rounds });
console.log(
  `30-way enrolment race, 10 seats (agent) ${rounds} rounds: wall p50 ${wall.medianMs.toFixed(0)} ms, p95 ${wall.p95Ms.toFixed(0)} ms`,
);
