// `npm run bench:resources [-- days]`: seeds the national network (400 fabriques, 4,000
// satellites, their shared resources and bookings; activity over `days`, default 30, which
// this bench does not read) into a throwaway PostgreSQL database on the server of
// DATABASE_URL (default: the local test server), starts a hub on it and times, over real
// HTTP, a search with availability for the coming week and each resource's free slots:
//
//   resources(filter: { availableFrom, availableTo: +7 days, … }, first: 50) {
//     edges { node { name freeSlots(from, to) { startsAt endsAt } } } }
//
// nationwide, by region, by category and near a commune, as a fabrique's team
// (FABRIQUE_ADMIN: NETWORK and NATIONAL resources, and its own LOCAL ones) and as the
// national body (NATIONAL scope only). 10 warm-up calls, then 100 timed, per case. Prints
// the seed's size and time, and p50/p95 per case; the goal is p95 ≤ 100 ms.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadGeography } from "@maillage/schema";
import { createThrowawayDatabase } from "@maillage/storage/testing";
import { pino } from "pino";
import { NO_RATE_LIMITS } from "../../packages/hub/bench/support/no-rate-limits.ts";
import { createHub } from "../../packages/hub/src/app.ts";
import { signHubToken } from "../../packages/hub/src/auth/tokens.ts";
import { loadHubConfig } from "../../packages/hub/src/env.ts";
import { seedNetwork } from "../../packages/hub/src/seed/generate.ts";
import { planNetwork, SCALES } from "../../packages/hub/src/seed/plan.ts";
import { planResources } from "../../packages/hub/src/seed/resources.ts";

const ROUNDS = 100;
const WARMUP = 10;
const GOAL_P95_MS = 100;
const QUERY = `query Search($filter: ResourceFilter, $from: DateTime!, $to: DateTime!) {
  resources(filter: $filter, first: 50) {
    edges { node { name freeSlots(from: $from, to: $to) { startsAt endsAt } } } } }`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const days = Number(process.argv[2] ?? 30);
if (!Number.isInteger(days) || days < 1) {
  console.error("days: a positive integer");
  process.exit(2);
}
process.env.DATABASE_URL ??= "postgresql://postgres@127.0.0.1:5432/test";

const until = new Date().toISOString().slice(0, 10);
// The resources' share of the seed: planned in memory, then inserted (timed from progress).
const network = planNetwork(loadGeography(), {
  scale: "national",
  size: SCALES.national,
  days,
  until,
  seed: 1,
});
const planStarted = performance.now();
planResources(network, { seed: 1, until });
const planSeconds = (performance.now() - planStarted) / 1000;

const db = await createThrowawayDatabase();
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-bench-"));
const config = loadHubConfig(NO_RATE_LIMITS, {
  dataDir,
  databaseUrl: db.url,
  port: 0,
  logLevel: "silent",
});
const hub = await createHub(config, { logger: pino({ level: "silent" }) });
try {
  let resourcesStarted = 0;
  let resourcesEnded = 0;
  const seeded = await seedNetwork(hub.db.store, {
    scale: "national",
    seed: 1,
    days,
    until,
    onProgress: (done, total, phase) => {
      if (phase === "nodes") resourcesStarted = performance.now();
      if (phase === "resources" && done === total) resourcesEnded = performance.now();
    },
  });
  await hub.db.store.exec("ANALYZE");
  const [tables] = await hub.db.store.query<Record<string, number>>(
    `SELECT (SELECT count(*)::int FROM resource) AS resources,
            (SELECT count(*)::int FROM resource WHERE sharing_scope = 'NATIONAL') AS national,
            (SELECT count(*)::int FROM resource WHERE sharing_scope = 'LOCAL') AS local,
            (SELECT count(*)::int FROM booking WHERE status = 'CONFIRMED') AS confirmed,
            (SELECT count(*)::int FROM booking) AS bookings`,
  );
  console.log(
    `national seed: ${seeded.fabriques} fabriques, ${seeded.satellites} satellites, ` +
      `${seeded.resources?.toLocaleString("en")} resources, ${seeded.bookings?.toLocaleString("en")} bookings, ` +
      `${seeded.reports.toLocaleString("en")} activity reports (${days} days) in ${seeded.seconds} s; ` +
      `resources and bookings: ${planSeconds.toFixed(2)} s to plan + ` +
      `${((resourcesEnded - resourcesStarted) / 1000).toFixed(2)} s to insert (tables: ${JSON.stringify(tables)})`,
  );

  // A fabrique of Auvergne-Rhône-Alpes with a node (every seeded one has).
  const [fabrique] = await hub.db.store.query<{ id: string; commune_code: string; name: string }>(
    `SELECT f.id, f.commune_code, f.name FROM space f JOIN node n ON n.fabrique_id = f.id
     WHERE f.kind = 'FABRIQUE' AND f.region_code = '84' ORDER BY f.id LIMIT 1`,
  );
  if (!fabrique) throw new Error("no fabrique in region 84");
  const { url } = await hub.start();
  const tokens = {
    FABRIQUE_ADMIN: await signHubToken(
      hub.keys,
      config,
      { role: "FABRIQUE_ADMIN", fabriqueId: fabrique.id },
      "1h",
    ),
    NATIONAL: await signHubToken(hub.keys, config, { role: "NATIONAL" }, "1h"),
  };
  // The coming week from the next full hour.
  const from = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
  const to = new Date(from.getTime() + 7 * 86_400_000);
  const week = { availableFrom: from.toISOString(), availableTo: to.toISOString() };
  const ask = async (token: string, filter: Record<string, unknown>) => {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: QUERY,
        variables: { filter, from: from.toISOString(), to: to.toISOString() },
      }),
    });
    const body = (await response.json()) as {
      errors?: unknown;
      data?: { resources: { edges: { node: { freeSlots: unknown[] } }[] } };
    };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data?.resources.edges ?? [];
  };
  const cases: [string, Record<string, unknown>][] = [
    ["nationwide", week],
    ["region 84", { ...week, region: "84" }],
    ["category MACHINE", { ...week, category: "MACHINE" }],
    // Few matches: the search walks many candidates before it fills a page.
    [
      "VEHICLE, 4 h, permis-b",
      { ...week, category: "VEHICLE", minMinutes: 240, credential: "permis-b" },
    ],
    [
      `near ${fabrique.commune_code} (dept)`,
      { ...week, near: { communeCode: fabrique.commune_code } },
    ],
    [
      `near ${fabrique.commune_code} (region)`,
      { ...week, near: { communeCode: fabrique.commune_code, within: "REGION" } },
    ],
  ];
  console.log(
    `${ROUNDS} calls per case after ${WARMUP} warm-up; week ${from.toISOString()} → ${to.toISOString()}; ` +
      `FABRIQUE_ADMIN of ${fabrique.name}`,
  );
  let worst = 0;
  for (const [role, token] of Object.entries(tokens)) {
    for (const [label, filter] of cases) {
      let edges = 0;
      let slots = 0;
      for (let i = 0; i < WARMUP; i++) {
        const page = await ask(token, filter);
        edges = page.length;
        slots = page.reduce((n, e) => n + e.node.freeSlots.length, 0);
      }
      const samples: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const start = performance.now();
        await ask(token, filter);
        samples.push(performance.now() - start);
      }
      samples.sort((a, b) => a - b);
      const p95 = percentile(samples, 95);
      worst = Math.max(worst, p95);
      console.log(
        `${role.padEnd(14)} ${label.padEnd(22)} ${String(edges).padStart(2)} resources, ` +
          `${String(slots).padStart(3)} slots: p50 ${percentile(samples, 50).toFixed(1)} ms, ` +
          `p95 ${p95.toFixed(1)} ms`,
      );
    }
  }
  console.log(
    `worst p95 ${worst.toFixed(1)} ms: ${worst <= GOAL_P95_MS ? "within" : "OVER"} the ${GOAL_P95_MS} ms goal`,
  );
} finally {
  await hub.stop();
  await db.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
}
