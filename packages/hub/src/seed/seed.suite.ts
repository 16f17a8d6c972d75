import type { ChangeEvent } from "@maillage/schema";
import { isWithinAvailability } from "@maillage/schema";
import type { SqlStore } from "@maillage/storage";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { applyActivity } from "../modules/activity/activity.repository.ts";
import { bookingHandler } from "../modules/bookings/booking-sync.ts";
import { recomputeSql } from "../modules/mobility/mobility-rollup.repository.ts";
import type { Known } from "../modules/sync/push-handlers.ts";
import type { NodeSyncRow } from "../modules/sync/sync.repository.ts";
import { type Backend, startTestHub, type TestHub } from "../testing/fixture.ts";
import { DEMO_NETWORK } from "./demo-network.ts";
import { type SeedOptions, SeedRefusedError, seedNetwork } from "./generate.ts";

/** The generator's tests, shared by the PGlite (unit) and PostgreSQL (integration) suites. */

type Snapshot = {
  rollups: string[];
  lastDays: string[];
  resources: string[];
  bookings: string[];
  requests: string[];
  bookingRollups: string[];
  trainings: string[];
  enrolments: string[];
};

async function snapshot(store: SqlStore): Promise<Snapshot> {
  const rollups = await store.query<{ row: string }>(
    `SELECT concat_ws('|', scope, scope_id, period, to_char(period_start, 'YYYY-MM-DD'), visitors,
                      events, participants, open_hours, reports) AS row
     FROM activity_rollup ORDER BY scope, scope_id, period, period_start`,
  );
  const lastDays = await store.query<{ row: string }>(
    `SELECT concat_ws('|', id, to_char(last_activity_day, 'YYYY-MM-DD')) AS row FROM space ORDER BY id`,
  );
  const resources = await store.query<{ row: string }>(
    `SELECT concat_ws('|', id, owner_node_id, space_id, name, category, sharing_scope,
                      required_credential, status, windows::text, closures::text) AS row
     FROM resource ORDER BY id`,
  );
  const bookings = await store.query<{ row: string }>(
    `SELECT concat_ws('|', id, resource_id, kind, status, request_id,
                      to_char(starts_at, 'YYYY-MM-DD HH24:MI'), to_char(ends_at, 'YYYY-MM-DD HH24:MI')) AS row
     FROM booking ORDER BY id`,
  );
  const requests = await store.query<{ row: string }>(
    `SELECT concat_ws('|', id, requester_node_id, owner_node_id, resource_id, kind, status,
                      for_space_id, booking_id, loan::text, to_char(requested_at, 'YYYY-MM-DD HH24:MI'),
                      to_char(decided_at, 'YYYY-MM-DD HH24:MI')) AS row
     FROM booking_request ORDER BY id`,
  );
  const bookingRollups = await store.query<{ row: string }>(
    `SELECT concat_ws('|', scope, scope_id, to_char(day, 'YYYY-MM-DD'), bookings, booked_minutes,
                      cross_node, loans) AS row
     FROM booking_rollup ORDER BY scope, scope_id, day`,
  );
  const trainings = await store.query<{ row: string }>(
    `SELECT concat_ws('|', id, owner_node_id, space_id, venue_space_id, topic, scope, status,
                      capacity, taken, waitlisted, attended, no_show,
                      to_char(starts_at, 'YYYY-MM-DD HH24:MI')) AS row
     FROM training ORDER BY id`,
  );
  const enrolments = await store.query<{ row: string }>(
    `SELECT concat_ws('|', id, training_id, member_id, member_node_id, status, position,
                      reason_code, credential_id) AS row
     FROM enrolment ORDER BY id`,
  );
  return {
    trainings: trainings.map((r) => r.row),
    enrolments: enrolments.map((r) => r.row),
    rollups: rollups.map((r) => r.row),
    lastDays: lastDays.map((r) => r.row),
    resources: resources.map((r) => r.row),
    bookings: bookings.map((r) => r.row),
    requests: requests.map((r) => r.row),
    bookingRollups: bookingRollups.map((r) => r.row),
  };
}

/**
 * Throws away the seeded bookings and their rollup, then applies them again the way the hub
 * does as BOOKING events arrive (bookingHandler.apply), per node in batches: first all of them
 * confirmed, then their final states (the cancelled ones subtract what they added).
 */
async function replayBookingsIncrementally(store: SqlStore): Promise<void> {
  const rows = await store.query<{
    id: string;
    resource_id: string;
    owner_node_id: string;
    kind: "BOOKING" | "LOAN";
    starts_at: string;
    ends_at: string;
    status: "CONFIRMED" | "CANCELLED";
    request_id: string | null;
  }>(
    `SELECT id, resource_id, owner_node_id, kind, status, request_id,
            to_char(starts_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS starts_at,
            to_char(ends_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ends_at
     FROM booking ORDER BY starts_at, id`,
  );
  await store.exec("TRUNCATE booking, booking_rollup");
  const byNode = new Map<string, typeof rows>();
  for (const r of rows) byNode.set(r.owner_node_id, [...(byNode.get(r.owner_node_id) ?? []), r]);
  const event = (r: (typeof rows)[number], status: "CONFIRMED" | "CANCELLED") =>
    ({
      entity: "BOOKING",
      entityId: r.id,
      op: "UPSERT",
      payload: {
        resourceId: r.resource_id,
        kind: r.kind,
        startsAt: r.starts_at,
        endsAt: r.ends_at,
        status,
        requestId: r.request_id,
      },
    }) as unknown as ChangeEvent;
  for (const pass of ["confirmed", "final"] as const) {
    for (const [nodeId, ofNode] of byNode) {
      for (let i = 0; i < ofNode.length; i += 500) {
        const events = ofNode
          .slice(i, i + 500)
          .map((r) => event(r, pass === "confirmed" ? "CONFIRMED" : r.status));
        await store.transaction((tx) =>
          bookingHandler.apply(tx, { id: nodeId } as NodeSyncRow, events, {} as Known),
        );
      }
    }
  }
}

/**
 * Throws away the seeded rollups and reports, then applies the same reports again the way
 * the hub does as they arrive: per node, in batches, in day order, through applyActivity.
 */
async function replayIncrementally(store: SqlStore): Promise<void> {
  const reports = await store.query<{
    space_id: string;
    day: string;
    visitors: number;
    events: number;
    participants: number;
    open_hours: number;
    owner_node_id: string;
  }>(
    `SELECT space_id, to_char(day, 'YYYY-MM-DD') AS day, visitors, events, participants,
            open_hours::float8 AS open_hours, owner_node_id
     FROM activity_report ORDER BY day, space_id`,
  );
  await store.exec(
    "TRUNCATE activity_rollup, activity_report; UPDATE space SET last_activity_day = NULL",
  );
  const byNode = new Map<string, typeof reports>();
  for (const r of reports) byNode.set(r.owner_node_id, [...(byNode.get(r.owner_node_id) ?? []), r]);
  for (const [nodeId, rows] of byNode) {
    for (let i = 0; i < rows.length; i += 300) {
      await store.transaction((tx) =>
        applyActivity(
          tx,
          nodeId,
          rows.slice(i, i + 300).map((r) => ({
            spaceId: r.space_id,
            day: r.day,
            report: {
              spaceId: r.space_id,
              date: r.day,
              visitors: r.visitors,
              events: r.events,
              participants: r.participants,
              openHours: r.open_hours,
            },
          })),
        ),
      );
    }
  }
}

export function registerSeedTests(
  backend: Backend,
  sizes: { small: SeedOptions; larger: SeedOptions },
) {
  describe(`seedNetwork (${backend})`, () => {
    let t: TestHub;
    let store: SqlStore;
    beforeAll(async () => {
      t = await startTestHub(backend);
      store = t.hub.db.store;
    });
    afterAll(() => t?.close());
    beforeEach(async () => {
      await t.reset();
      // Tables the shared reset may not know yet (no foreign key to space, no cascade).
      await store.exec("TRUNCATE booking, booking_request, credential, resource");
    });

    it("seeds the demo network on its real communes, 60 days ending on `until`", async () => {
      const result = await seedNetwork(store, { scale: "demo", until: "2025-03-31", seed: 7 });
      expect(result).toMatchObject({
        fabriques: 4,
        satellites: 17,
        nodes: 4,
        from: "2025-01-31",
        to: "2025-03-31",
      });
      expect(result.reports).toBeGreaterThan(21 * 60 * 0.3);
      const [range] = await store.query<{ first: string; last: string; n: number }>(
        `SELECT to_char(min(day), 'YYYY-MM-DD') AS first, to_char(max(day), 'YYYY-MM-DD') AS last,
                count(*)::int AS n FROM activity_report`,
      );
      expect(range).toEqual({
        first: expect.any(String),
        last: expect.any(String),
        n: result.reports,
      });
      expect(range && range.first >= "2025-01-31" && range.last <= "2025-03-31").toBe(true);
      const [guéret] = await store.query<{ name: string; department_code: string }>(
        "SELECT name, department_code FROM space WHERE commune_code = '23096'",
      );
      expect(guéret).toEqual({ name: "La Quincaillerie", department_code: "23" });
    });

    it("seeds a demo's history: bookings all along it, nodes only where asked and never heard from, spaces in the log", async () => {
      const withNode = DEMO_NETWORK.slice(0, 2).map((n) => n.name);
      const result = await seedNetwork(store, {
        scale: "demo",
        days: 200,
        until: "2025-03-31",
        seed: 5,
        // Longer than the activity's 200 days: no booking may start before its host existed.
        bookedWeeksBefore: 32,
        fabriquesWithNode: withNode,
        nodesHeardFrom: "never",
        announceSpaces: true,
      });
      expect(result).toMatchObject({ fabriques: 4, satellites: 17, nodes: 2 });
      const [shape] = await store.query<{
        nodes: string;
        seen: number;
        first_booking: string;
        booked_months: number;
        before_host: number;
        outside_networks: number;
        requests_outside: number;
        loans: number;
        services: string;
      }>(
        `SELECT (SELECT string_agg(f.name || ':' || n.liveness, '|' ORDER BY f.name)
                 FROM node n JOIN space f ON f.id = n.fabrique_id) AS nodes,
                (SELECT count(*)::int FROM node WHERE last_seen_at IS NOT NULL) AS seen,
                (SELECT to_char(min(starts_at), 'YYYY-MM-DD') FROM booking) AS first_booking,
                (SELECT count(DISTINCT date_trunc('month', starts_at))::int FROM booking
                 WHERE status = 'CONFIRMED') AS booked_months,
                (SELECT count(*)::int FROM booking b JOIN resource r ON r.id = b.resource_id
                 JOIN space s ON s.id = r.space_id WHERE b.starts_at < s.created_at) AS before_host,
                (SELECT count(*)::int FROM resource r JOIN space s ON s.id = r.space_id
                 WHERE NOT EXISTS (SELECT 1 FROM node n
                                   WHERE n.fabrique_id = coalesce(s.fabrique_id, s.id))) AS outside_networks,
                (SELECT count(*)::int FROM booking_request q
                 WHERE q.requester_node_id NOT IN (SELECT id FROM node)
                    OR q.owner_node_id NOT IN (SELECT id FROM node)) AS requests_outside,
                (SELECT count(*)::int FROM booking WHERE kind = 'LOAN') AS loans,
                (SELECT array_to_string(services, ',') FROM space WHERE name = 'La Quincaillerie') AS services`,
      );
      expect(shape).toMatchObject({
        nodes: withNode
          .sort()
          .map((name) => `${name}:SILENT`)
          .join("|"),
        seen: 0,
        before_host: 0,
        outside_networks: 0,
        requests_outside: 0,
        services: DEMO_NETWORK[1]?.services.join(","),
      });
      // Half a year of bookings and more (32 weeks back, 4 ahead), loans among them.
      expect(shape?.first_booking ?? "").toMatch(/^2024-0[6-8]/);
      expect(shape?.booked_months).toBeGreaterThanOrEqual(7);
      expect(shape?.loans).toBeGreaterThan(3);
      expect(result.crossNode).toBeGreaterThan(0);
      // Every space in the hub's log, from the hub to every node, fabriques first.
      const log = await store.query<{
        entity: string;
        kind: string;
        origin: string | null;
        target: string | null;
      }>(
        `SELECT entity, payload->>'kind' AS kind, origin_node_id AS origin, target_node_id AS target
         FROM change_log ORDER BY "offset"`,
      );
      expect(log).toHaveLength(21);
      expect(log.every((e) => e.entity === "SPACE" && e.origin === null && e.target === null)).toBe(
        true,
      );
      expect(log.slice(0, 4).map((e) => e.kind)).toEqual(Array(4).fill("FABRIQUE"));
    });

    for (const [label, options] of Object.entries(sizes)) {
      it(`computes the rollups applying the reports one by one would (${label})`, async () => {
        const result = await seedNetwork(store, options);
        expect(result.reports).toBeGreaterThan(0);
        const seeded = await snapshot(store);
        expect(seeded.rollups.length).toBe(result.rollups);
        await replayIncrementally(store);
        const incremental = await snapshot(store);
        expect(seeded.rollups).toEqual(incremental.rollups);
        expect(seeded.lastDays).toEqual(incremental.lastDays);
        expect(seeded.bookingRollups.length).toBeGreaterThan(0);
        await replayBookingsIncrementally(store);
        const replayed = await snapshot(store);
        expect(replayed.bookings).toEqual(seeded.bookings);
        expect(replayed.bookingRollups).toEqual(seeded.bookingRollups);
        // And the nation's totals are the booking table's, cross-node bookings and loans too.
        const [totals] = await store.query<{ rollup: string; table: string }>(
          `SELECT (SELECT concat_ws('|', sum(bookings), sum(booked_minutes), sum(cross_node), sum(loans))
                   FROM booking_rollup WHERE scope = 'NATION') AS rollup,
                  (SELECT concat_ws('|', count(*), sum(extract(epoch FROM ends_at - starts_at) / 60)::bigint,
                                    count(*) FILTER (WHERE request_id IS NOT NULL),
                                    count(*) FILTER (WHERE kind = 'LOAN'))
                   FROM booking WHERE status = 'CONFIRMED') AS table`,
        );
        expect(totals?.rollup).toBe(totals?.table);
      });
    }

    it("places satellites in their fabrique's department, names unique per network, a realistic rural share", async () => {
      const options = sizes.larger;
      const result = await seedNetwork(store, options);
      expect(result.fabriques).toBe(options.size?.fabriques);
      expect(result.satellites).toBe(options.size?.satellites);
      const [shape] = await store.query<{
        other_department: number;
        duplicate_names: number;
        rural_share: number;
        regions: number;
      }>(
        `SELECT (SELECT count(*)::int FROM space s JOIN space f ON f.id = s.fabrique_id
                 WHERE s.department_code <> f.department_code) AS other_department,
                (SELECT count(*)::int FROM (SELECT coalesce(fabrique_id, id), lower(name) FROM space
                 GROUP BY 1, 2 HAVING count(*) > 1) d) AS duplicate_names,
                (SELECT avg(rural::int)::float8 FROM space) AS rural_share,
                (SELECT count(DISTINCT region_code)::int FROM space) AS regions`,
      );
      expect(shape?.other_department).toBe(0);
      expect(shape?.duplicate_names).toBe(0);
      expect(shape?.rural_share).toBeGreaterThan(0.25);
      expect(shape?.rural_share).toBeLessThan(0.75);
      if (options.size?.region) expect(shape?.regions).toBe(1);
    });

    it("is deterministic: the same seed writes the same network, another seed another", async () => {
      const options = { ...sizes.small, force: true };
      const first = await seedNetwork(store, options);
      const firstSnapshot = await snapshot(store);
      const again = await seedNetwork(store, options);
      expect(await snapshot(store)).toEqual(firstSnapshot);
      expect({ ...again, seconds: 0 }).toEqual({ ...first, seconds: 0 });
      expect(firstSnapshot.bookings.length).toBeGreaterThan(0);
      expect(firstSnapshot.requests.length).toBeGreaterThan(0);
      expect(firstSnapshot.enrolments.length).toBeGreaterThan(0);
      await seedNetwork(store, { ...options, seed: (options.seed ?? 1) + 1 });
      const other = await snapshot(store);
      expect(other.rollups).not.toEqual(firstSnapshot.rollups);
      expect(other.resources).not.toEqual(firstSnapshot.resources);
    });

    it("refuses a hub that already holds spaces, and replaces its network when forced", async () => {
      await seedNetwork(store, { scale: "demo", until: "2025-03-31" });
      await expect(
        seedNetwork(store, { scale: "demo", until: "2025-03-31" }),
      ).rejects.toBeInstanceOf(SeedRefusedError);
      const result = await seedNetwork(store, { ...sizes.small, force: true });
      const [counts] = await store.query<{ spaces: number; nodes: number; reports: number }>(
        `SELECT (SELECT count(*)::int FROM space) AS spaces, (SELECT count(*)::int FROM node) AS nodes,
                (SELECT count(*)::int FROM activity_report) AS reports`,
      );
      expect(counts).toEqual({
        spaces: result.fabriques + result.satellites,
        nodes: result.fabriques,
        reports: result.reports,
      });
    });

    it("reports progress per phase, ending each at its total", async () => {
      const seen = new Map<string, [number, number]>();
      await seedNetwork(store, {
        ...sizes.small,
        onProgress: (done, total, phase) => seen.set(phase, [done, total]),
      });
      expect([...seen.keys()]).toEqual([
        "spaces",
        "reports",
        "rollups",
        "nodes",
        "resources",
        "trainings",
        "mobility",
      ]);
      for (const [done, total] of seen.values()) expect(done).toBe(total);
    });

    it("seeds shared resources owned by their fabrique's node, with bookings inside their windows that never overlap", async () => {
      const options = sizes.larger;
      const result = await seedNetwork(store, options);
      const { fabriques, satellites } = result;
      expect(result.resources).toBeGreaterThanOrEqual(fabriques * 3);
      expect(result.resources).toBeLessThanOrEqual(fabriques * 6 + satellites * 2);
      const [shape] = await store.query<{
        resources: number;
        wrong_owner: number;
        scopes: number;
        local: number;
        with_credential: number;
        categories: number;
        bookings: number;
        confirmed: number;
        past: number;
        future: number;
        overlapping: number;
        orphan_bookings: number;
        outside_period: number;
      }>(
        `SELECT (SELECT count(*)::int FROM resource) AS resources,
                (SELECT count(*)::int FROM resource r JOIN space s ON s.id = r.space_id
                 LEFT JOIN node n ON n.id = r.owner_node_id
                 WHERE n.fabrique_id IS DISTINCT FROM coalesce(s.fabrique_id, s.id)) AS wrong_owner,
                (SELECT count(DISTINCT sharing_scope)::int FROM resource) AS scopes,
                (SELECT count(*)::int FROM resource WHERE sharing_scope = 'LOCAL') AS local,
                (SELECT count(*)::int FROM resource WHERE required_credential IS NOT NULL) AS with_credential,
                (SELECT count(DISTINCT category)::int FROM resource) AS categories,
                (SELECT count(*)::int FROM booking) AS bookings,
                (SELECT count(*)::int FROM booking WHERE status = 'CONFIRMED') AS confirmed,
                (SELECT count(*)::int FROM booking WHERE status = 'CONFIRMED' AND ends_at <= $1::timestamp) AS past,
                (SELECT count(*)::int FROM booking WHERE status = 'CONFIRMED' AND starts_at >= $1::timestamp + interval '1 day') AS future,
                (SELECT count(*)::int FROM booking a JOIN booking b ON a.resource_id = b.resource_id
                 AND a.id < b.id AND a.status = 'CONFIRMED' AND b.status = 'CONFIRMED'
                 AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at) AS overlapping,
                (SELECT count(*)::int FROM booking b LEFT JOIN resource r ON r.id = b.resource_id
                 WHERE r.id IS NULL OR r.owner_node_id <> b.owner_node_id) AS orphan_bookings,
                (SELECT count(*)::int FROM booking WHERE starts_at < $1::timestamp - interval '21 days'
                 OR ends_at > $1::timestamp + interval '35 days') AS outside_period`,
        [`${options.until}T00:00:00Z`],
      );
      expect(shape).toMatchObject({
        resources: result.resources,
        wrong_owner: 0,
        scopes: 3,
        categories: 6,
        bookings: result.bookings,
        overlapping: 0,
        orphan_bookings: 0,
        outside_period: 0,
      });
      expect(shape?.local).toBeGreaterThan(0);
      expect(shape?.local).toBeLessThan((shape?.resources ?? 0) * 0.4);
      expect(shape?.with_credential).toBeGreaterThan(0);
      // A few per resource and week, in the two past weeks and the four ahead.
      expect(shape?.confirmed).toBeGreaterThan((shape?.resources ?? 0) * 6);
      expect(shape?.past).toBeGreaterThan(0);
      expect(shape?.future).toBeGreaterThan(shape?.past ?? 0);

      const rows = await store.query<{
        windows: { rrule: string; opens: string; closes: string }[];
        closures: { from: string; to: string }[];
        starts_at: string;
        ends_at: string;
      }>(
        `SELECT r.windows, r.closures, to_char(b.starts_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS starts_at,
                to_char(b.ends_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS ends_at
         FROM booking b JOIN resource r ON r.id = b.resource_id WHERE b.status = 'CONFIRMED'`,
      );
      const outside = rows.filter(
        (b) => !isWithinAvailability(b, new Date(b.starts_at), new Date(b.ends_at)),
      );
      expect(outside).toEqual([]);
    });

    it("seeds cross-node bookings and loans, each answering a matching request, counted in the rollup", async () => {
      const options = sizes.larger;
      const result = await seedNetwork(store, options);
      const [shape] = await store.query<{
        cross_node: number;
        requests: number;
        loans: number;
        cross_node_loans: number;
        nn_bookings: number;
        movable_bookings: number;
        unmatched: number;
        orphan_requests: number;
        local_cross: number;
        wrong_requester: number;
        same_region: number;
        bad_loans: number;
        bad_loan_states: number;
        bad_times: number;
      }>(
        `SELECT (SELECT count(*)::int FROM booking WHERE request_id IS NOT NULL) AS cross_node,
                (SELECT count(*)::int FROM booking_request) AS requests,
                (SELECT count(*)::int FROM booking WHERE kind = 'LOAN') AS loans,
                (SELECT count(*)::int FROM booking WHERE kind = 'LOAN' AND request_id IS NOT NULL) AS cross_node_loans,
                (SELECT count(*)::int FROM booking b JOIN resource r ON r.id = b.resource_id
                 WHERE r.sharing_scope <> 'LOCAL') AS nn_bookings,
                (SELECT count(*)::int FROM booking b JOIN resource r ON r.id = b.resource_id
                 WHERE r.movable) AS movable_bookings,
                -- A booking's request: same id both ways, slot, resource, owner, kind and outcome.
                (SELECT count(*)::int FROM booking b LEFT JOIN booking_request q ON q.id = b.request_id
                 WHERE b.request_id IS NOT NULL AND (q.id IS NULL OR q.booking_id IS DISTINCT FROM b.id
                   OR q.resource_id <> b.resource_id OR q.owner_node_id <> b.owner_node_id
                   OR q.kind <> b.kind OR q.starts_at <> b.starts_at OR q.ends_at <> b.ends_at
                   OR q.status <> b.status OR q.cancelled OR q.for_member_id IS NOT NULL
                   OR q.reason IS NOT NULL OR q.reason_code IS NOT NULL)) AS unmatched,
                (SELECT count(*)::int FROM booking_request q LEFT JOIN booking b ON b.request_id = q.id
                 WHERE b.id IS NULL) AS orphan_requests,
                (SELECT count(*)::int FROM booking b JOIN resource r ON r.id = b.resource_id
                 WHERE b.request_id IS NOT NULL AND r.sharing_scope = 'LOCAL') AS local_cross,
                -- From another fabrique's node, for that fabrique.
                (SELECT count(*)::int FROM booking_request q LEFT JOIN node n ON n.id = q.requester_node_id
                 WHERE q.requester_node_id = q.owner_node_id OR n.fabrique_id IS DISTINCT FROM q.for_space_id)
                  AS wrong_requester,
                (SELECT count(*)::int FROM booking_request q JOIN space f ON f.id = q.for_space_id
                 JOIN resource r ON r.id = q.resource_id JOIN space s ON s.id = r.space_id
                 WHERE f.region_code = s.region_code) AS same_region,
                -- Loans: of movable resources, several days long, not cut by the windows.
                (SELECT count(*)::int FROM booking b JOIN resource r ON r.id = b.resource_id
                 WHERE b.kind = 'LOAN' AND (NOT r.movable OR b.ends_at - b.starts_at < interval '1 day'
                   OR b.ends_at - b.starts_at > r.max_minutes * interval '1 minute')) AS bad_loans,
                -- A loan's state as of the seed's evening: returned, out, or ahead.
                (SELECT count(*)::int FROM booking_request q
                 WHERE (q.kind = 'LOAN') <> (q.loan IS NOT NULL)
                   OR (q.kind = 'LOAN' AND NOT CASE
                     WHEN q.ends_at <= $1::timestamp THEN q.loan->>'status' = 'RETURNED'
                       AND q.loan->>'returnedAt' IS NOT NULL AND q.loan->>'checkedOutAt' IS NOT NULL
                     WHEN q.starts_at > $1::timestamp THEN q.loan->>'status' = 'CONFIRMED'
                       AND q.loan->>'checkedOutAt' IS NULL
                     ELSE q.loan->>'status' IN ('CHECKED_OUT', 'CONFIRMED') END)
                   OR (q.loan->>'status' = 'CHECKED_OUT' AND q.loan->>'holderSpaceId' <> q.for_space_id))
                  AS bad_loan_states,
                (SELECT count(*)::int FROM booking_request
                 WHERE NOT (requested_at < decided_at AND decided_at <= $1::timestamp
                   AND requested_at < starts_at AND decided_at <= updated_at)) AS bad_times`,
        [`${options.until}T20:00:00Z`],
      );
      expect(shape).toMatchObject({
        cross_node: result.crossNode,
        requests: result.crossNode,
        loans: result.loans,
        unmatched: 0,
        orphan_requests: 0,
        local_cross: 0,
        wrong_requester: 0,
        bad_loans: 0,
        bad_loan_states: 0,
        bad_times: 0,
      });
      // About 12 % of the bookings of shared resources, mostly from the same region; loans
      // about 3 % of the bookings of movable resources, some of them to another network.
      const crossShare = (shape?.cross_node ?? 0) / (shape?.nn_bookings ?? 1);
      expect(crossShare).toBeGreaterThan(0.08);
      expect(crossShare).toBeLessThan(0.18);
      expect(shape?.same_region).toBeGreaterThan((shape?.requests ?? 0) / 2);
      const loanShare = (shape?.loans ?? 0) / (shape?.movable_bookings ?? 1);
      expect(loanShare).toBeGreaterThan(0.01);
      expect(loanShare).toBeLessThan(0.06);
      expect(shape?.cross_node_loans).toBeGreaterThan(0);

      // The rollup counts them: every scope's totals are the booking table's.
      const totals = await store.query<{ scope: string; rollup: string; table: string }>(
        `SELECT k.scope,
                (SELECT concat_ws('|', sum(cross_node), sum(loans)) FROM booking_rollup
                 WHERE scope::text = k.scope) AS rollup,
                (SELECT concat_ws('|', count(*) FILTER (WHERE request_id IS NOT NULL),
                                  count(*) FILTER (WHERE kind = 'LOAN'))
                 FROM booking WHERE status = 'CONFIRMED') AS table
         FROM unnest(ARRAY['NATION', 'REGION', 'DEPARTMENT', 'FABRIQUE']) AS k(scope)`,
      );
      for (const t of totals) expect(t.rollup, t.scope).toBe(t.table);
      expect(totals[0]?.rollup).not.toBe("0|0");
    });

    it("seeds trainings with enrolments, waitlists, attendance and credentials, as their organisers would have sent them", async () => {
      const options = sizes.larger;
      const result = await seedNetwork(store, options);
      const now = `${options.until}T20:00:00Z`;
      const [shape] = await store.query<Record<string, number>>(
        `SELECT (SELECT count(*)::int FROM training) AS trainings,
                (SELECT count(*)::int FROM enrolment) AS enrolments,
                (SELECT count(*)::int FROM credential WHERE training_id IS NOT NULL) AS credentials,
                (SELECT count(*)::int FROM training WHERE starts_at > $1::timestamp) AS ahead,
                (SELECT count(*)::int FROM training WHERE series_id IS NOT NULL) AS in_series,
                (SELECT count(*)::int FROM training WHERE venue_space_id IS NULL) AS online,
                (SELECT count(*)::int FROM training WHERE cancel_reason_code = 'MINIMUM_NOT_REACHED') AS under_minimum,
                (SELECT count(*)::int FROM enrolment WHERE status = 'WAITLISTED') AS waitlisted,
                (SELECT count(*)::int FROM enrolment WHERE status = 'NO_SHOW') AS no_shows,
                (SELECT count(*)::int FROM enrolment WHERE reason_code = 'CANCELLED_BY_MEMBER') AS withdrawn,
                (SELECT count(*)::int FROM enrolment e JOIN training t ON t.id = e.training_id
                 WHERE e.member_node_id <> t.owner_node_id) AS cross_node,
                -- The organiser's counts are its places'; never more taken than seats.
                (SELECT count(*)::int FROM training t
                 WHERE t.taken > t.capacity OR (t.taken, t.waitlisted, t.attended, t.no_show) <> (
                   SELECT count(*) FILTER (WHERE e.status IN ('ENROLLED', 'OFFERED', 'ATTENDED', 'NO_SHOW')),
                          count(*) FILTER (WHERE e.status = 'WAITLISTED'),
                          count(*) FILTER (WHERE e.status = 'ATTENDED'),
                          count(*) FILTER (WHERE e.status = 'NO_SHOW')
                   FROM enrolment e WHERE e.training_id = t.id)) AS bad_counts,
                -- Waiting lists in order: positions 1..n.
                (SELECT count(*)::int FROM (
                   SELECT training_id, max(position) AS top, count(*) AS n, count(DISTINCT position) AS d
                   FROM enrolment WHERE status = 'WAITLISTED' GROUP BY training_id) w
                 WHERE w.top <> w.n OR w.d <> w.n) AS bad_positions,
                -- Marked after the session, never before; nothing left ENROLLED after it.
                (SELECT count(*)::int FROM enrolment e JOIN training t ON t.id = e.training_id
                 WHERE (e.status IN ('ATTENDED', 'NO_SHOW') AND t.ends_at > $1::timestamp)
                    OR (e.status = 'ENROLLED' AND t.ends_at <= $1::timestamp)
                    OR (t.status = 'CANCELLED' AND e.status <> 'CANCELLED')) AS bad_statuses,
                -- A place of another network's member answers its request; LOCAL ones have none.
                (SELECT count(*)::int FROM enrolment e JOIN training t ON t.id = e.training_id
                 LEFT JOIN enrolment_request q ON q.id = e.id
                 WHERE e.member_node_id <> t.owner_node_id AND (t.scope = 'LOCAL' OR q.id IS NULL
                   OR q.requester_node_id <> e.member_node_id OR q.owner_node_id <> t.owner_node_id
                   OR q.training_id <> t.id OR q.member_id <> e.member_id)) AS bad_requests,
                -- Attending a session that grants a credential issued it, by the organiser.
                (SELECT count(*)::int FROM enrolment e JOIN training t ON t.id = e.training_id
                 LEFT JOIN credential c ON c.id = e.credential_id
                 WHERE (e.status = 'ATTENDED' AND t.grants_type IS NOT NULL) <> (c.id IS NOT NULL)
                    OR c.type <> t.grants_type OR c.owner_node_id <> t.owner_node_id
                    OR c.member_id <> e.member_id OR c.training_id <> t.id
                    OR c.expires_at IS DISTINCT FROM c.issued_at + t.grants_validity_days * interval '1 day')
                  AS bad_credentials`,
        [now],
      );
      expect(shape).toMatchObject({
        trainings: result.trainings,
        enrolments: result.enrolments,
        credentials: result.credentials,
        bad_counts: 0,
        bad_positions: 0,
        bad_statuses: 0,
        bad_requests: 0,
        bad_credentials: 0,
      });
      // About one session a week per network over 120 days and 8 weeks ahead, and all the rest.
      expect(shape?.trainings).toBeGreaterThan(6 * 17 * 0.5);
      for (const some of [
        "ahead",
        "in_series",
        "online",
        "under_minimum",
        "waitlisted",
        "no_shows",
        "withdrawn",
        "cross_node",
        "credentials",
      ]) {
        expect(shape?.[some], some).toBeGreaterThan(0);
      }
      // The rollup holds the tables' totals, counted here another way.
      const [totals] = await store.query<{ rollup: string; table: string }>(
        `SELECT (SELECT concat_ws('|', sum(trainings), sum(cancelled_trainings), sum(seats_offered),
                                  sum(seats_filled), sum(waitlisted), sum(attended), sum(no_show),
                                  sum(credentials), sum(attended_minutes))
                 FROM training_rollup WHERE scope = 'NATION' AND topic = '*') AS rollup,
                (SELECT concat_ws('|',
                   count(*) FILTER (WHERE status = 'SCHEDULED'), count(*) FILTER (WHERE status = 'CANCELLED'),
                   sum(capacity) FILTER (WHERE status = 'SCHEDULED'),
                   sum(taken) FILTER (WHERE status = 'SCHEDULED'),
                   sum(waitlisted) FILTER (WHERE status = 'SCHEDULED'),
                   sum(attended) FILTER (WHERE status = 'SCHEDULED'),
                   sum(no_show) FILTER (WHERE status = 'SCHEDULED'),
                   (SELECT count(*) FROM credential WHERE training_id IS NOT NULL),
                   (sum(attended * floor(extract(epoch FROM ends_at - starts_at) / 60))
                     FILTER (WHERE status = 'SCHEDULED'))::bigint)
                 FROM training) AS table`,
      );
      expect(totals?.rollup).toBe(totals?.table);
    });

    it("seeds members' visits away from home, mostly near home, with their passes and the rollup the visits give", async () => {
      const options = { ...sizes.small, force: true };
      const result = await seedNetwork(store, options);
      expect(result.visits).toBeGreaterThan(1000);
      const [shape] = await store.query<Record<string, number>>(
        `SELECT count(*)::int AS visits,
                count(*) FILTER (WHERE v.space_id = v.home_space_id)::int AS at_home,
                count(*) FILTER (WHERE v.departed_at <= v.arrived_at)::int AS backwards,
                count(*) FILTER (WHERE v.home_network_id = v.network_id)::int AS own_territory,
                count(*) FILTER (WHERE v.home_region = v.region)::int AS same_region,
                count(*) FILTER (WHERE n.fabrique_id IS DISTINCT FROM v.network_id)::int AS foreign_owner,
                count(*) FILTER (WHERE p.id IS NULL)::int AS without_pass,
                count(DISTINCT v.member_id)::int AS travellers
         FROM visit v LEFT JOIN node n ON n.id = v.owner_node_id LEFT JOIN pass p ON p.id = v.pass_id`,
      );
      expect(shape).toMatchObject({ at_home: 0, backwards: 0, foreign_owner: 0, without_pass: 0 });
      expect(shape?.travellers).toBe(result.travellers);
      expect(shape?.own_territory).toBeGreaterThan((shape?.visits ?? 0) * 0.3);
      expect(shape?.same_region).toBeGreaterThan((shape?.visits ?? 0) * 0.8);
      const rows = (sql: string) =>
        store.query<{ row: string }>(
          `SELECT concat_ws('|', to_char(month, 'YYYY-MM'), origin_level, origin_id, dest_level,
                            dest_id, visits, members) AS row FROM (${sql}) r ORDER BY 1`,
        );
      expect(await rows("SELECT * FROM mobility_rollup")).toEqual(await rows(recomputeSql("true")));
      // The indexes the bulk load dropped are back, as the migration made them.
      const indexes = await store.query<{ indexname: string }>(
        `SELECT indexname FROM pg_indexes WHERE tablename IN ('visit', 'mobility_presence')
         ORDER BY indexname`,
      );
      expect(indexes.map((i) => i.indexname)).toEqual([
        "mobility_presence_member_id_idx",
        "mobility_presence_pkey",
        "visit_member_id_idx",
        "visit_pkey",
        "visit_space_id_day_idx",
      ]);
    });
  });
}
