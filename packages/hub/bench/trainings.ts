// `npm run bench:trainings [-- region]` (or `tsx bench/trainings.ts --scale region`): seeds a
// network (default: national — 400 fabriques, 4,000 satellites, two years of activity, and
// tens of thousands of training sessions with their enrolments, waitlists, attendance and
// credentials) into a PostgreSQL database on the server of DATABASE_URL (default: the local
// one), kept between runs (support/national.ts), starts a hub on it and times over real HTTP:
// - discovery: `trainings` pages of 50 with seats left and waitlist length, for the national
//   body, a fabrique's team, with filters (region, seats left, topic), near a commune, and a
//   second page;
// - `networkHealth` with its training section, France and one region, 30 and 365 days.
// Prints the seed time, row counts and p50/p95 per case (goals: discovery p95 ≤ 100 ms,
// networkHealth p95 ≤ 50 ms).
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { BENCH_REGION } from "./support/national.ts";
import { lastYear, openSeededHub, scaleFromArgs, timeCalls } from "./support/seeded-hub.ts";
import { percentile } from "./support/stats.ts";

const ROUNDS = 100;
const WARMUP = 10;
const REGION = BENCH_REGION;

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

const { values, positionals } = parseArgs({
  options: { scale: { type: "string" } },
  allowPositionals: true,
});
const s = await openSeededHub(scaleFromArgs(values, positionals));
try {
  const [tables] = await s.hub.db.store.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM space)::text AS spaces,
            (SELECT count(*) FROM training)::text AS trainings,
            (SELECT count(*) FROM training WHERE starts_at > now() AT TIME ZONE 'UTC')::text AS upcoming,
            (SELECT count(*) FROM enrolment)::text AS enrolments,
            (SELECT count(*) FROM credential WHERE training_id IS NOT NULL)::text AS credentials,
            (SELECT count(*) FROM training_rollup)::text AS training_rollups`,
  );
  console.log(
    `${(s.database.seed.trainings ?? 0).toLocaleString("en")} training sessions ` +
      `(${s.database.seed.from} → ${s.database.seed.to} and 8 weeks ahead) (tables: ${JSON.stringify(tables)})`,
  );
  const { nationalToken, teamToken, team } = s;
  const firstPage = await s.ask<{ trainings: { pageInfo: { endCursor: string } } }>(
    teamToken,
    TRAININGS,
    { filter: {} },
  );
  const after = firstPage.trainings.pageInfo.endCursor;
  const year = lastYear();
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
      { filter: { near: { communeCode: team.communeCode, within: "REGION" } } },
    ],
    ["networkHealth France 30 d", nationalToken, HEALTH, { filter: {} }],
    [`networkHealth ${REGION} 30 d`, nationalToken, HEALTH, { filter: { region: REGION } }],
    ["networkHealth France 365 d", nationalToken, HEALTH, { filter: year }],
    ["networkHealth team 30 d", teamToken, HEALTH, { filter: {} }],
  ];
  for (const [label, token, query, variables] of cases) {
    const samples = await timeCalls(() => s.ask(token, query, variables), ROUNDS, WARMUP);
    console.log(
      `${label.padEnd(28)} ${ROUNDS} calls: p50 ${percentile(samples, 50).toFixed(1)} ms, ` +
        `p95 ${percentile(samples, 95).toFixed(1)} ms`,
    );
  }
} finally {
  await s.close();
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
