import { activityEntityId } from "@maillage/schema";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { Viewer } from "../../context.ts";
import { type Backend, startTestHub, type TestHub } from "../../testing/fixture.ts";
import { enrolTestNode, type TestNode } from "../../testing/test-node.ts";
import { contributionsSql } from "../mutualisation/booking-rollup.repository.ts";
import { contributionsSql as resourceContributionsSql } from "../mutualisation/resource-rollup.repository.ts";
import { sweepLiveness } from "../nodes/liveness.ts";
import { contributionsSql as spaceContributionsSql } from "../spaces/space-rollup.repository.ts";
import { enrolment, enrolmentRequest, training } from "../trainings/trainings.suite.ts";
import { createHealthService } from "./health.service.ts";

/**
 * Activity reports and bookings through sync, their rollups, and networkHealth, on every
 * backend.
 */
export function registerHealthTests(backend: Backend) {
  describe(`activity and network health (${backend})`, () => {
    let t: TestHub;
    let national: string;
    let national_ = "";
    let a: TestNode;

    const today = new Date().toISOString().slice(0, 10);
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
    const report = (
      node: TestNode,
      spaceId: string,
      date: string,
      visitors: number,
      extra: Record<string, number> = {},
    ) =>
      node.event("ACTIVITY", activityEntityId(spaceId, date), {
        spaceId,
        date,
        visitors,
        events: 1,
        participants: 0,
        openHours: 4,
        ...extra,
      });

    const HEALTH = `query($filter: NetworkHealthFilter) { networkHealth(filter: $filter) {
      scope scopeId from to
      coverage { fabriques satellites spaces activeSpaces silentSpaces communesCovered ruralSpaces ruralShare }
      liveness { online stale silent worstLags { fabriqueName liveness } }
      activity { visitors events participants openHours reports visitorsTrend previous { visitors } }
      regions { code name visitors coverage { spaces ruralShare } departments { code coverage { spaces } } } } }`;

    type Health = {
      scope: string;
      coverage: Record<string, number>;
      liveness: { online: number; silent: number };
      activity: {
        visitors: number;
        events: number;
        reports: number;
        openHours: number;
        visitorsTrend: number | null;
        previous: { visitors: number };
      };
      regions: {
        code: string;
        visitors: number;
        coverage: { spaces: number; ruralShare: number };
      }[];
    };
    async function health(filter: Record<string, unknown> = {}, token = national) {
      return t.gql<{ networkHealth: Health }>(HEALTH, { filter }, token);
    }

    beforeAll(async () => {
      t = await startTestHub(backend);
      national = await t.nationalToken();
      national_ = national;
    });
    afterAll(() => t?.close());
    beforeEach(async () => {
      await t.reset();
      const f = await t.gql<{ createFabrique: { id: string } }>(
        `mutation { createFabrique(input: { name: "La Fabrique du Vivarais", communeCode: "07186" }) { id } }`,
        {},
        national,
      );
      a = await enrolTestNode(t, f.data?.createFabrique.id as string, national);
      // Privas (8,538 inhabitants), Jaujac (rural), Désaignes (rural), Aubenas.
      await a.push([
        a.satellite("S1", "Jaujac", "07107"),
        a.satellite("S2", "Désaignes", "07079"),
        a.satellite("S3", "Aubenas", "07019"),
      ]);
    });

    it("counts coverage and the rural share as computed by hand", async () => {
      const r = await health();
      expect(r.errors).toBeUndefined();
      expect(r.data?.networkHealth.coverage).toEqual({
        fabriques: 1,
        satellites: 3,
        spaces: 4,
        activeSpaces: 0,
        silentSpaces: 4,
        communesCovered: 4,
        ruralSpaces: 2,
        ruralShare: 0.5,
      });
      expect(r.data?.networkHealth.liveness).toMatchObject({ online: 1, silent: 0 });
      expect(r.data?.networkHealth.regions).toMatchObject([
        { code: "84", coverage: { spaces: 4, ruralShare: 0.5 } },
      ]);
    });

    it("counts a revised report once, with its latest numbers, and forgets a withdrawn one", async () => {
      await a.push([report(a, "S1", daysAgo(1), 10), report(a, "S2", daysAgo(2), 7)]);
      await a.push([report(a, "S1", daysAgo(1), 15, { events: 3 })]);
      let r = await health();
      expect(r.data?.networkHealth.activity).toMatchObject({
        visitors: 22,
        events: 4,
        reports: 2,
        openHours: 8,
      });
      expect(r.data?.networkHealth.coverage).toMatchObject({ activeSpaces: 2, silentSpaces: 2 });
      expect(r.data?.networkHealth.regions[0]?.visitors).toBe(22);

      await a.push([a.event("ACTIVITY", activityEntityId("S2", daysAgo(2)), null, "DELETE")]);
      r = await health();
      expect(r.data?.networkHealth.activity).toMatchObject({ visitors: 15, events: 3, reports: 1 });
      // The same revision pushed again (a re-sent batch) changes nothing.
      const rollups = await t.hub.db.store.query(
        "SELECT * FROM activity_rollup ORDER BY 1, 2, 3, 4",
      );
      await a.push([report(a, "S1", daysAgo(1), 15, { events: 3 })]);
      await a.push([report(a, "S1", daysAgo(1), 15, { events: 3 })]);
      expect(
        await t.hub.db.store.query("SELECT * FROM activity_rollup ORDER BY 1, 2, 3, 4"),
      ).toEqual(rollups);
    });

    it("compares with the previous period of equal length", async () => {
      await a.push([report(a, "S1", daysAgo(40), 10), report(a, "S1", daysAgo(3), 15)]);
      const r = await health({ from: daysAgo(29), to: today });
      expect(r.data?.networkHealth.activity).toMatchObject({
        visitors: 15,
        previous: { visitors: 10 },
        visitorsTrend: 50,
      });
    });

    it("sums a long period's whole months from the month rollups and its ends from the days", async () => {
      // A report on each of 40 days spread over ~14 months, a visitor more each.
      const days = Array.from({ length: 40 }, (_, i) => daysAgo(i * 11));
      for (let i = 0; i < days.length; i += 20) {
        await a.push(
          days.slice(i, i + 20).map((day, j) => report(a, j % 2 ? "S1" : "S2", day, i + j + 1)),
        );
      }
      const byDays = async (from: string, to: string, region?: string) => {
        const [row] = await t.hub.db.store.query<{ visitors: number }>(
          `SELECT coalesce(sum(visitors), 0)::int AS visitors FROM activity_rollup
           WHERE scope = $1::"RollupScope" AND scope_id = $2 AND period = 'DAY'
             AND period_start BETWEEN $3::date AND $4::date`,
          [region ? "REGION" : "NATION", region ?? "FR", from, to],
        );
        return row?.visitors;
      };
      const periods = [
        [daysAgo(364), today],
        [daysAgo(400), daysAgo(40)],
        [daysAgo(29), today],
        [`${daysAgo(200).slice(0, 7)}-01`, daysAgo(60)],
      ] as const;
      for (const [from, to] of periods) {
        const r = await health({ from, to });
        expect(r.errors).toBeUndefined();
        const visitors = await byDays(from, to);
        expect(visitors).toBeGreaterThan(0);
        expect(r.data?.networkHealth.activity.visitors).toBe(visitors);
        expect(r.data?.networkHealth.regions).toMatchObject([{ code: "84", visitors }]);
      }
    });

    it("refuses reports for the future or for another network's space, nothing written", async () => {
      const future = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
      const r = await a.push([report(a, "S1", future, 1)]);
      expect(r.data?.pushChanges.rejected).toMatchObject({ seq: 4, code: "INVALID_EVENT" });
      const f = await t.gql<{ createFabrique: { id: string } }>(
        `mutation { createFabrique(input: { name: "La Quincaillerie", communeCode: "23096" }) { id } }`,
        {},
        national,
      );
      const b = await enrolTestNode(t, f.data?.createFabrique.id as string, national);
      const intrusion = await b.push([report(b, "S1", daysAgo(1), 1000)]);
      expect(intrusion.data?.pushChanges.rejected).toMatchObject({ code: "OWNERSHIP_VIOLATION" });
      const negative = await a.push([{ ...report(a, "S1", daysAgo(1), -5), seq: 4 }]);
      expect(negative.data?.pushChanges.rejected).toMatchObject({ code: "INVALID_EVENT" });
      expect(await t.hub.db.store.query("SELECT * FROM activity_rollup")).toEqual([]);
    });

    it("limits a fabrique's team to its own territory", async () => {
      const own = await health({}, await t.adminToken(a.fabriqueId));
      expect(own.data?.networkHealth).toMatchObject({ scope: "FABRIQUE", coverage: { spaces: 4 } });
      const f = await t.gql<{ createFabrique: { id: string } }>(
        `mutation { createFabrique(input: { name: "La Quincaillerie", communeCode: "23096" }) { id } }`,
        {},
        national,
      );
      const other = await health(
        { fabriqueId: f.data?.createFabrique.id },
        await t.adminToken(a.fabriqueId),
      );
      expect(other.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      const national_ = await health({ region: "75" });
      expect(national_.data?.networkHealth).toMatchObject({
        scope: "REGION",
        coverage: { fabriques: 1, satellites: 0 },
      });
    });

    it("feeds spaces, activity with updated totals and node status live, and resumes from a cursor", async () => {
      const { url } = await t.hub.start();
      type Event = {
        cursor: string;
        kind: string;
        spaceName: string | null;
        reports: number | null;
        liveness: string | null;
        territoryTotals: { visitors: number } | null;
        nationTotals: { visitors: number } | null;
      };
      const FEED = `subscription($after: String) { networkEvents(after: $after) {
        cursor kind spaceName reports liveness territoryTotals { visitors } nationTotals { visitors } } }`;
      async function listen(
        token: string,
        after: string | null,
        until: (events: Event[]) => boolean,
      ) {
        const client = createClient({
          url: `${url.replace("http", "ws")}/graphql`,
          webSocketImpl: WebSocket,
          retryAttempts: 0,
          connectionParams: { authToken: token },
        });
        const events: Event[] = [];
        const done = new Promise<Event[]>((resolve, reject) => {
          const stop = client.subscribe<{ networkEvents: Event }>(
            { query: FEED, variables: { after } },
            {
              next: (msg) => {
                if (!msg.data) return reject(new Error(JSON.stringify(msg.errors)));
                events.push(msg.data.networkEvents);
                if (until(events)) {
                  stop();
                  resolve(events);
                }
              },
              error: reject,
              complete: () => resolve(events),
            },
          );
        });
        done.catch(() => undefined); // a listener closed early is not an error here
        return { done, close: () => client.dispose(), events };
      }

      const national = await listen(await t.nationalToken(), null, (e) =>
        e.some((x) => x.kind === "ACTIVITY"),
      );
      await new Promise((r) => setTimeout(r, 300)); // the subscription starts "from now"
      const other = await t.gql<{ createFabrique: { id: string } }>(
        `mutation { createFabrique(input: { name: "La Quincaillerie", communeCode: "23096" }) { id } }`,
        {},
        national_token(),
      );
      const otherId = other.data?.createFabrique.id as string;
      const stranger = await listen(await t.adminToken(otherId), null, () => false);
      const team = await listen(await t.adminToken(a.fabriqueId), null, (e) =>
        e.some((x) => x.kind === "ACTIVITY"),
      );
      await new Promise((r) => setTimeout(r, 300));
      await a.push([a.satellite("S4", "Le Cheylard", "07064"), report(a, "S1", daysAgo(1), 12)]);
      const seen = await national.done;
      expect(seen.map((e) => e.kind)).toEqual(["SPACE_CREATED", "SPACE_CREATED", "ACTIVITY"]);
      expect(seen[2]).toMatchObject({
        reports: 1,
        territoryTotals: { visitors: 12 },
        nationTotals: { visitors: 12 },
      });
      const teamSeen = await team.done;
      expect(teamSeen.map((e) => e.kind)).toEqual(["SPACE_CREATED", "ACTIVITY"]);
      expect(teamSeen[1]?.nationTotals).toBeNull();
      await national.close();
      await team.close();

      // While nobody listens: more activity, and the node goes quiet.
      await a.push([report(a, "S2", daysAgo(1), 5)]);
      await t.hub.db.store.query(
        "UPDATE node SET last_seen_at = (now() AT TIME ZONE 'UTC') - interval '3 hours' WHERE id = $1",
        [a.nodeId],
      );
      await sweepLiveness(t.hub.db.store, t.hub.services.pubsub);
      const resumed = await listen(
        await t.nationalToken(),
        seen.at(-1)?.cursor ?? null,
        (e) => e.length >= 2,
      );
      const missed = await resumed.done;
      await resumed.close();
      expect(missed.map((e) => [e.kind, e.liveness])).toEqual([
        ["ACTIVITY", null],
        ["NODE_STATUS", "STALE"],
      ]);
      expect(missed[0]?.nationTotals?.visitors).toBe(17);
      expect(stranger.events.filter((e) => e.kind !== "SPACE_CREATED")).toEqual([]);
      await stranger.close();
      function national_token() {
        return national_;
      }
    });

    // ── Mutualisation: the booking rollup and its section of networkHealth ─────────────────

    const resource = (
      spaceId: string,
      sharingScope: string,
      category = "MACHINE",
      windows: unknown[] = [{ rrule: "FREQ=WEEKLY;BYDAY=TU,WE", opens: "09:00", closes: "18:00" }],
      status = "AVAILABLE",
    ) => ({
      spaceId,
      name: `${category} ${spaceId} ${sharingScope}`,
      category,
      description: null,
      sharingScope,
      requiredCredential: null,
      minMinutes: 30,
      maxMinutes: 600,
      leadMinutes: 0,
      cancelDeadlineMinutes: 60,
      status,
      movable: true,
      approvalRequired: false,
      windows,
      closures: [],
    });
    /** A slot of `minutes` starting at `time` (UTC) on `day`. */
    const booking = (
      resourceId: string,
      day: string,
      time: string,
      minutes: number,
      extra: Record<string, unknown> = {},
    ) => {
      const startsAt = new Date(`${day}T${time}:00.000Z`);
      return {
        resourceId,
        kind: "BOOKING",
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + minutes * 60_000).toISOString(),
        status: "CONFIRMED",
        requestId: null,
        ...extra,
      };
    };
    const rollup = async () =>
      t.hub.db.store.query<{ row: string }>(
        `SELECT concat_ws('|', scope, scope_id, to_char(day, 'YYYY-MM-DD'), bookings, booked_minutes,
                          cross_node, loans) AS row
         FROM booking_rollup ORDER BY scope, scope_id, day`,
      );
    /** The rollup as the seed computes it from the booking table, by GROUP BY. */
    const recomputed = async () =>
      t.hub.db.store.query<{ row: string }>(
        `SELECT concat_ws('|', scope, scope_id, to_char(day, 'YYYY-MM-DD'), bookings, booked_minutes,
                          cross_node, loans) AS row
         FROM (${contributionsSql("true")}) c ORDER BY scope::"RollupScope", scope_id, day`,
      );
    const nextDay = (day: string) =>
      new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

    it("keeps the booking rollup by deltas: a cancellation subtracts, a move moves, a re-send changes nothing", async () => {
      const d = daysAgo(5);
      const f = a.fabriqueId;
      await a.push([
        a.event("RESOURCE", "R1", resource("S1", "NETWORK")),
        a.event("RESOURCE", "R2", resource(f, "LOCAL", "ROOM", [])),
        a.event("BOOKING", "K1", booking("R1", d, "08:00", 120)),
        a.event("BOOKING", "K2", booking("R1", d, "12:00", 60, { requestId: "Q1" })),
        a.event("BOOKING", "K3", booking("R2", d, "09:00", 180, { kind: "LOAN" })),
        // 23:30 UTC is already the next day in Paris.
        a.event("BOOKING", "K4", booking("R2", d, "23:30", 30)),
      ]);
      const next = nextDay(d);
      expect((await rollup()).map((r) => r.row)).toEqual([
        `NATION|FR|${d}|3|360|1|1`,
        `NATION|FR|${next}|1|30|0|0`,
        `REGION|84|${d}|3|360|1|1`,
        `REGION|84|${next}|1|30|0|0`,
        `DEPARTMENT|07|${d}|3|360|1|1`,
        `DEPARTMENT|07|${next}|1|30|0|0`,
        `FABRIQUE|${f}|${d}|3|360|1|1`,
        `FABRIQUE|${f}|${next}|1|30|0|0`,
      ]);

      // Cancelled: its contribution goes; moved to the day after: it follows.
      await a.push([
        a.event("BOOKING", "K1", { ...booking("R1", d, "08:00", 120), status: "CANCELLED" }),
        a.event("BOOKING", "K3", booking("R2", next, "09:00", 240, { kind: "LOAN" })),
      ]);
      expect((await rollup()).filter((r) => r.row.startsWith("NATION"))).toEqual([
        { row: `NATION|FR|${d}|1|60|1|0` },
        { row: `NATION|FR|${next}|2|270|0|1` },
      ]);

      // The same state sent again (a new event) or the same batch re-sent: nothing changes.
      const before = await rollup();
      const again = a.event("BOOKING", "K2", booking("R1", d, "12:00", 60, { requestId: "Q1" }));
      await a.push([again]);
      await a.push([again]);
      expect(await rollup()).toEqual(before);

      // Deleted: the day's row goes with its last booking. A resource moved to a satellite of
      // another department takes its bookings' counts along.
      await a.push([
        a.satellite("S4", "Valence", "26362"),
        a.event("BOOKING", "K2", null, "DELETE"),
        a.event("BOOKING", "K5", booking("R1", d, "14:00", 90)),
        a.event("RESOURCE", "R1", resource("S4", "NETWORK")),
      ]);
      expect((await rollup()).filter((r) => r.row.startsWith("DEPARTMENT"))).toEqual([
        { row: `DEPARTMENT|07|${next}|2|270|0|1` },
        { row: `DEPARTMENT|26|${d}|1|90|0|0` },
      ]);
      expect(await rollup()).toEqual(await recomputed());
    });

    const resourceRollup = async () =>
      t.hub.db.store.query<{ row: string }>(
        `SELECT concat_ws('|', scope, scope_id, region_code, sharing_scope, category, status,
                          resources, weekly_open_minutes) AS row
         FROM resource_rollup ORDER BY 1`,
      );
    /** The resource rollup as the seed and the migration compute it, by GROUP BY. */
    const resourceRecomputed = async () =>
      t.hub.db.store.query<{ row: string }>(
        `SELECT concat_ws('|', scope, scope_id, region_code, sharing_scope, category, status,
                          resources, weekly_open_minutes) AS row
         FROM (${resourceContributionsSql("true")}) c ORDER BY 1`,
      );

    it("keeps the resource rollup by deltas through creations, changes, retirements and moves", async () => {
      const f = a.fabriqueId;
      const expectInStep = async () => {
        const rows = await resourceRollup();
        expect(rows).toEqual(await resourceRecomputed());
        expect(await rollup()).toEqual(await recomputed());
        return rows.map((r) => r.row);
      };
      await a.push([
        a.event("RESOURCE", "R1", resource("S1", "NETWORK")), // 2 × 9 h a week
        a.event("RESOURCE", "R2", resource(f, "LOCAL", "ROOM", [])),
        a.event("RESOURCE", "R3", resource("S2", "NATIONAL", "KIT")),
        a.event("BOOKING", "K1", booking("R1", daysAgo(2), "08:00", 60)),
      ]);
      expect((await expectInStep()).filter((r) => r.startsWith("NATION"))).toEqual([
        "NATION|FR|84|LOCAL|ROOM|AVAILABLE|1|10080", // no windows: always open
        "NATION|FR|84|NATIONAL|KIT|AVAILABLE|1|1080",
        "NATION|FR|84|NETWORK|MACHINE|AVAILABLE|1|1080",
      ]);

      // Recategorised, other windows, into maintenance, shared nationally, retired.
      const monday = [{ rrule: "FREQ=WEEKLY;BYDAY=MO", opens: "10:00", closes: "12:00" }];
      await a.push([
        a.event("RESOURCE", "R1", resource("S1", "NETWORK", "ROOM", monday)),
        a.event("RESOURCE", "R2", resource(f, "NATIONAL", "ROOM", [], "MAINTENANCE")),
        a.event("RESOURCE", "R3", resource("S2", "NATIONAL", "KIT", [], "RETIRED")),
      ]);
      expect((await expectInStep()).filter((r) => r.startsWith("NATION"))).toEqual([
        "NATION|FR|84|NATIONAL|ROOM|MAINTENANCE|1|10080",
        "NATION|FR|84|NETWORK|ROOM|AVAILABLE|1|120",
      ]);
      // The same state again changes nothing; back from retirement it counts again.
      await a.push([a.event("RESOURCE", "R1", resource("S1", "NETWORK", "ROOM", monday))]);
      await a.push([a.event("RESOURCE", "R3", resource("S2", "NATIONAL", "KIT"))]);
      expect(await expectInStep()).toContain("NATION|FR|84|NATIONAL|KIT|AVAILABLE|1|1080");

      // Moved to a satellite in the Drôme (26, same region), then that satellite placed in
      // the Creuse (23, another region): its counts follow, bookings' too.
      await a.push([
        a.satellite("S4", "Valence", "26362"),
        a.event("RESOURCE", "R1", resource("S4", "NETWORK", "ROOM", monday)),
      ]);
      expect((await expectInStep()).filter((r) => r.startsWith("DEPARTMENT"))).toEqual([
        "DEPARTMENT|07|84|NATIONAL|KIT|AVAILABLE|1|1080",
        "DEPARTMENT|07|84|NATIONAL|ROOM|MAINTENANCE|1|10080",
        "DEPARTMENT|26|84|NETWORK|ROOM|AVAILABLE|1|120",
      ]);
      await a.push([a.satellite("S4", "Guéret", "23096")]);
      const moved = await expectInStep();
      expect(moved.filter((r) => r.startsWith("DEPARTMENT|2"))).toEqual([
        "DEPARTMENT|23|75|NETWORK|ROOM|AVAILABLE|1|120",
      ]);
      expect(moved).toContain("REGION|75|75|NETWORK|ROOM|AVAILABLE|1|120");
      expect(moved).toContain(`FABRIQUE|${f}|75|NETWORK|ROOM|AVAILABLE|1|120`);
      expect((await rollup()).map((r) => r.row)).toContain(`DEPARTMENT|23|${daysAgo(2)}|1|60|0|0`);

      // The fabrique, still the hub's, placed elsewhere by the national body: R2 follows.
      const placed = await t.gql(
        `mutation($id: ID!) { updateSpace(id: $id, input: { communeCode: "26362" }) { id } }`,
        { id: f },
        national,
      );
      expect(placed.errors).toBeUndefined();
      expect(await expectInStep()).toContain("DEPARTMENT|26|84|NATIONAL|ROOM|MAINTENANCE|1|10080");
    });

    /** The three space rollups, row by row, as they stand. */
    const spaceRollups = async () => ({
      departments: await t.hub.db.store.query<{ row: string }>(
        `SELECT concat_ws('|', scope, scope_id, region_code, department_code, fabriques,
                          satellites, rural, communes) AS row
         FROM space_rollup ORDER BY 1`,
      ),
      days: await t.hub.db.store.query<{ row: string }>(
        `SELECT concat_ws('|', scope, scope_id, region_code, department_code,
                          last_activity_day::text, spaces) AS row
         FROM space_activity_rollup ORDER BY 1`,
      ),
      communes: await t.hub.db.store.query<{ row: string }>(
        `SELECT concat_ws('|', scope, scope_id, region_code, department_code, commune_code,
                          spaces) AS row
         FROM space_commune_rollup ORDER BY 1`,
      ),
    });
    /** The same recomputed from the space table by GROUP BY, as the seed and 0016 do. */
    const spaceRecomputed = async () => {
      const c = spaceContributionsSql("true");
      return {
        departments: await t.hub.db.store.query<{ row: string }>(
          `SELECT concat_ws('|', scope, scope_id, region_code, department_code, sum(fabriques),
                            sum(satellites), sum(rural), count(DISTINCT commune_code)) AS row
           FROM (${c}) c GROUP BY scope, scope_id, region_code, department_code ORDER BY 1`,
        ),
        days: await t.hub.db.store.query<{ row: string }>(
          `SELECT concat_ws('|', scope, scope_id, region_code, department_code, last_activity_day,
                            sum(fabriques + satellites)) AS row
           FROM (${c}) c
           GROUP BY scope, scope_id, region_code, department_code, last_activity_day ORDER BY 1`,
        ),
        communes: await t.hub.db.store.query<{ row: string }>(
          `SELECT concat_ws('|', scope, scope_id, region_code, department_code, commune_code,
                            sum(fabriques + satellites)) AS row
           FROM (${c}) c
           GROUP BY scope, scope_id, region_code, department_code, commune_code ORDER BY 1`,
        ),
      };
    };

    it("keeps the space rollups by deltas through creations, reports, moves, closes and reopenings", async () => {
      const f = a.fabriqueId;
      const expectInStep = async () => {
        const rows = await spaceRollups();
        expect(rows).toEqual(await spaceRecomputed());
        return rows;
      };
      // The fabrique (registered at the hub) and S1–S3 (pushed by its node), no report yet.
      expect((await expectInStep()).departments.map((r) => r.row)).toContain(
        "NATION|FR|84|07|1|3|2|4",
      );

      // Reports: S1's last day moves forward twice, S2 reports once, long ago.
      await a.push([report(a, "S1", daysAgo(3), 5), report(a, "S2", daysAgo(40), 5)]);
      await a.push([report(a, "S1", daysAgo(1), 5), report(a, "S1", daysAgo(2), 5)]);
      expect((await expectInStep()).days.filter((r) => r.row.startsWith("NATION"))).toEqual([
        { row: "NATION|FR|84|07|-infinity|2" },
        { row: `NATION|FR|84|07|${daysAgo(40)}|1` },
        { row: `NATION|FR|84|07|${daysAgo(1)}|1` },
      ]);

      // S3 placed in the Drôme, S2 in the Creuse (another region), S4 created in the
      // fabrique's commune, S5 in Aubenas, then S1 deleted (closed) by the node.
      await a.push([
        a.satellite("S3", "Valence", "26362"),
        a.satellite("S2", "Guéret", "23096"),
        a.satellite("S4", "Privas", "07186"),
        a.satellite("S5", "Aubenas", "07019"),
      ]);
      await expectInStep();
      await a.push([
        a.event("SPACE", "S1", null, "DELETE"),
        a.satellite("S4", "Privas", "07186", "CLOSED"),
      ]);
      const closed = await expectInStep();
      expect(closed.departments.map((r) => r.row)).toEqual(
        expect.arrayContaining([
          "NATION|FR|75|23|0|1|0|1",
          "NATION|FR|84|07|1|1|0|2", // the fabrique (Privas) and S5 (Aubenas)
          "NATION|FR|84|26|0|1|0|1",
          `FABRIQUE|${f}|75|23|0|1|0|1`,
        ]),
      );
      // Reopened: counts again, with its report day kept.
      await a.push([a.satellite("S4", "Privas", "07186", "OPEN"), report(a, "S4", daysAgo(5), 3)]);
      await expectInStep();

      // The hub's own network: a fabrique, a satellite registered by its team, moved, closed.
      const b = await t.gql<{ createFabrique: { id: string } }>(
        `mutation { createFabrique(input: { name: "La Quincaillerie", communeCode: "23096" }) { id } }`,
        {},
        national,
      );
      const fb = b.data?.createFabrique.id as string;
      const team = await t.adminToken(fb);
      const sat = await t.gql<{ createSatellite: { id: string } }>(
        `mutation($f: ID!) { createSatellite(fabriqueId: $f, input: { name: "Le Relais", communeCode: "07107" }) { id } }`,
        { f: fb },
        team,
      );
      expect(sat.errors).toBeUndefined();
      await expectInStep();
      const id = sat.data?.createSatellite.id as string;
      const moved = await t.gql(
        `mutation($id: ID!) { updateSpace(id: $id, input: { communeCode: "26362" }) { id } }`,
        { id },
        team,
      );
      expect(moved.errors).toBeUndefined();
      await expectInStep();
      const shut = await t.gql(`mutation($id: ID!) { closeSpace(id: $id) { id } }`, { id }, team);
      expect(shut.errors).toBeUndefined();
      const last = await expectInStep();
      expect(last.departments.map((r) => r.row)).toContain(`FABRIQUE|${fb}|75|23|1|0|0|1`);
      expect(
        last.departments.map((r) => r.row).filter((r) => r.startsWith(`FABRIQUE|${fb}|`)),
      ).toHaveLength(1);

      // And networkHealth reads them: coverage as computed from the space table.
      const r = await health({ from: daysAgo(29), to: today });
      expect(r.errors).toBeUndefined();
      expect(r.data?.networkHealth.coverage).toEqual({
        fabriques: 2,
        satellites: 4, // S2, S3, S4, S5
        spaces: 6,
        activeSpaces: 1, // S4 (5 days ago); S2's last report is 40 days old
        silentSpaces: 5,
        communesCovered: 4, // Privas (twice), Aubenas, Valence, Guéret (twice)
        ruralSpaces: 0,
        ruralShare: 0,
      });
    });

    it("answers mutualisation for the nation, a region and a fabrique's team, from the rollups", async () => {
      const f = await t.gql<{ createFabrique: { id: string } }>(
        `mutation { createFabrique(input: { name: "La Quincaillerie", communeCode: "23096" }) { id } }`,
        {},
        national,
      );
      const b = await enrolTestNode(t, f.data?.createFabrique.id as string, national);
      const twoHours = [{ rrule: "FREQ=WEEKLY;BYDAY=MO", opens: "10:00", closes: "12:00" }];
      await a.push([
        a.event("RESOURCE", "R1", resource("S1", "NETWORK")), // 2 × 9 h a week
        a.event("RESOURCE", "R2", resource(a.fabriqueId, "LOCAL", "ROOM", [])), // 24 × 7
        a.event("RESOURCE", "R3", resource("S2", "NATIONAL", "KIT", [], "MAINTENANCE")),
        a.event("RESOURCE", "R4", resource("S3", "NATIONAL", "KIT", [], "RETIRED")),
        a.event("BOOKING", "K1", booking("R1", daysAgo(3), "08:00", 120, { requestId: "Q1" })),
        a.event("BOOKING", "K2", booking("R1", daysAgo(4), "08:00", 60)),
        a.event("BOOKING", "K3", booking("R2", daysAgo(2), "08:00", 180, { kind: "LOAN" })),
        a.event("BOOKING", "K4", booking("R1", daysAgo(40), "08:00", 60)), // previous period
      ]);
      await b.push([
        b.event("RESOURCE", "RB", resource(b.fabriqueId, "NATIONAL", "VEHICLE", twoHours)),
        b.event("BOOKING", "KB", booking("RB", daysAgo(1), "09:00", 120, { requestId: "Q2" })),
      ]);
      const MUTUALISATION = `query($filter: NetworkHealthFilter) { networkHealth(filter: $filter) {
        scope
        mutualisation { resources sharedResources availableResources
          resourcesBySharingScope { sharingScope resources }
          resourcesByCategory { category resources sharedResources }
          bookings bookedHours crossNodeBookings crossNodeShare loans resourceOpenHours utilisation
          previous { bookings bookedHours crossNodeBookings utilisation }
          bookingsTrend bookedHoursTrend crossNodeBookingsTrend loansTrend utilisationTrend }
        regions { code sharedResources bookings bookedHours crossNodeBookings loans utilisation } } }`;
      type M = {
        networkHealth: {
          scope: string;
          mutualisation: Record<string, unknown> & {
            resourcesByCategory: { category: string; resources: number }[];
          };
          regions: Record<string, unknown>[];
        };
      };
      const ask = async (filter: Record<string, unknown>, token = national) => {
        const r = await t.gql<M>(MUTUALISATION, { filter }, token);
        return r;
      };
      const days = 30;
      const openA = ((2 * 9 * 60 + 7 * 24 * 60) * days) / 7 / 60; // R1 + R2, in hours
      const openB = (2 * 60 * days) / 7 / 60;
      const round = (x: number, n: number) => Math.round(x * 10 ** n) / 10 ** n;

      const nation = await ask({});
      expect(nation.errors).toBeUndefined();
      const m = nation.data?.networkHealth.mutualisation;
      expect(m).toMatchObject({
        resources: 4,
        sharedResources: 3,
        availableResources: 3,
        resourcesBySharingScope: [
          { sharingScope: "LOCAL", resources: 1 },
          { sharingScope: "NETWORK", resources: 1 },
          { sharingScope: "NATIONAL", resources: 2 },
        ],
        bookings: 4,
        bookedHours: 8,
        crossNodeBookings: 2,
        crossNodeShare: 0.5,
        loans: 1,
        resourceOpenHours: round(openA + openB, 2),
        utilisation: round(8 / (openA + openB), 4),
        previous: { bookings: 1, bookedHours: 1, crossNodeBookings: 0 },
        bookingsTrend: 300,
        bookedHoursTrend: 700,
        crossNodeBookingsTrend: null,
        loansTrend: null,
      });
      expect(m?.resourcesByCategory).toEqual([
        { category: "MACHINE", resources: 1, sharedResources: 1 },
        { category: "ROOM", resources: 1, sharedResources: 0 },
        { category: "VEHICLE", resources: 1, sharedResources: 1 },
        { category: "KIT", resources: 1, sharedResources: 1 },
        { category: "DESK", resources: 0, sharedResources: 0 },
        { category: "OTHER", resources: 0, sharedResources: 0 },
      ]);
      const regions = nation.data?.networkHealth.regions ?? [];
      expect(regions.find((r) => r.code === "84")).toEqual({
        code: "84",
        sharedResources: 2,
        bookings: 3,
        bookedHours: 6,
        crossNodeBookings: 1,
        loans: 1,
        utilisation: round(6 / openA, 4),
      });
      expect(regions.find((r) => r.code === "75")).toMatchObject({ bookings: 1, bookedHours: 2 });

      const region = await ask({ region: "75" });
      expect(region.data?.networkHealth.mutualisation).toMatchObject({
        resources: 1,
        bookings: 1,
        crossNodeBookings: 1,
        crossNodeShare: 1,
        loans: 0,
        utilisation: round(2 / openB, 4),
      });

      const team = await ask({}, await t.adminToken(a.fabriqueId));
      expect(team.data?.networkHealth).toMatchObject({
        scope: "FABRIQUE",
        mutualisation: {
          resources: 3,
          sharedResources: 2,
          bookings: 3,
          bookedHours: 6,
          crossNodeBookings: 1,
          crossNodeShare: 0.333,
          loans: 1,
          utilisation: round(6 / openA, 4),
        },
      });
      const other = await ask(
        { fabriqueId: f.data?.createFabrique.id },
        await t.adminToken(a.fabriqueId),
      );
      expect(other.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      expect(other.data?.networkHealth ?? null).toBeNull();
    });

    // ── Training: the training rollup and its section of networkHealth ─────────────────────

    it("answers training by session date from the rollups: 11 enrolments, 2 cancelled, 9 seats → 9 filled", async () => {
      const f = await t.gql<{ createFabrique: { id: string } }>(
        `mutation { createFabrique(input: { name: "La Quincaillerie", communeCode: "23096" }) { id } }`,
        {},
        national,
      );
      const b = await enrolTestNode(t, f.data?.createFabrique.id as string, national);
      /** A session of `hours` hours starting at 09:00 UTC `n` days ago. */
      const session = (n: number, hours = 3) => {
        const startsAt = new Date(`${daysAgo(n)}T09:00:00.000Z`);
        return {
          startsAt: startsAt.toISOString(),
          endsAt: new Date(startsAt.getTime() + hours * 3_600_000).toISOString(),
        };
      };
      const members = Array.from({ length: 10 }, (_, i) => `M${i}`);
      await a.push([
        ...members.map((m) => a.event("MEMBER", m, { homeSpaceId: "S1" })),
        // In the period: 9 seats; signed up long before (sign-up dates do not matter).
        a.event("TRAINING", "T1", training("S1", { ...session(3), capacity: 9 })),
        // Also in the period, online, another topic, 2 hours, a waitlist of 1.
        a.event(
          "TRAINING",
          "T2",
          training(a.fabriqueId, {
            ...session(5, 2),
            topic: "DIGITAL_SKILLS",
            capacity: 2,
            venueSpaceId: null,
            onlineUrl: "https://visio.example.org/t2",
          }),
        ),
        // The previous period: one session, 4 attended.
        a.event("TRAINING", "T0", training("S1", { ...session(40), capacity: 6 })),
        // Cancelled in the period: no seats offered.
        a.event(
          "TRAINING",
          "TX",
          training("S2", {
            ...session(4),
            status: "CANCELLED",
            cancelReasonCode: "MINIMUM_NOT_REACHED",
          }),
        ),
        // After the period (signed up inside it): not counted.
        a.event("TRAINING", "T9", training("S1", session(-10))),
      ]);
      await b.push([
        b.event("MEMBER", "MB", { homeSpaceId: b.fabriqueId }),
        b.event("ENROLMENT_REQUEST", "EB", enrolmentRequest("T1", "MB")),
      ]);
      const old = { requestedAt: `${daysAgo(60)}T08:00:00.000Z` };
      const pushed = await a.push([
        // T1: 11 enrolments, 2 cancelled; 6 attended (5 with a credential), 1 no-show, 2 enrolled.
        ...members.map((m, i) =>
          a.event(
            "ENROLMENT",
            `E${i}`,
            enrolment(
              "T1",
              m,
              i < 2 ? "CANCELLED" : i < 8 ? "ATTENDED" : i < 9 ? "NO_SHOW" : "ENROLLED",
              {
                ...old,
                reasonCode: i < 2 ? "CANCELLED_BY_MEMBER" : null,
                credentialId: i >= 2 && i < 7 ? `C${i}` : null,
              },
            ),
          ),
        ),
        a.event("ENROLMENT", "EB", enrolment("T1", "MB", "ENROLLED", old)),
        // T2: 2 attended, 1 waitlisted.
        a.event("ENROLMENT", "F1", enrolment("T2", "M0", "ATTENDED")),
        a.event("ENROLMENT", "F2", enrolment("T2", "M1", "ATTENDED")),
        a.event("ENROLMENT", "F3", enrolment("T2", "M2", "WAITLISTED", { position: 1 })),
        // T0: 4 attended; T9: 1 enrolled.
        ...["M3", "M4", "M5", "M6"].map((m) =>
          a.event("ENROLMENT", `G${m}`, enrolment("T0", m, "ATTENDED")),
        ),
        a.event(
          "ENROLMENT",
          "H1",
          enrolment("T9", "M7", "ENROLLED", { requestedAt: `${today}T08:00:00.000Z` }),
        ),
      ]);
      expect(pushed.data?.pushChanges.rejected).toBeNull();

      const FIGURES = `trainings cancelledTrainings seatsOffered seatsFilled fillRate waitlisted
        waitlistPressure attended noShow attendanceRate noShowRate hoursDelivered credentialsIssued
        crossNodeEnrolments crossNodeShare cancellations`;
      const TRAINING = `query($filter: NetworkHealthFilter) { networkHealth(filter: $filter) {
        training { ${FIGURES} previous { trainings attended hoursDelivered }
          byTopic { topic seatsFilled hoursDelivered }
          trainingsTrend seatsFilledTrend hoursDeliveredTrend credentialsIssuedTrend attendanceRateTrend }
        regions { code training { trainings seatsFilled hoursDelivered } } } }`;
      type T = {
        networkHealth: {
          training: Record<string, unknown> & {
            byTopic: { topic: string; seatsFilled: number; hoursDelivered: number }[];
          };
          regions: { code: string; training: Record<string, number> }[];
        };
      };
      const r = await t.gql<T>(TRAINING, { filter: {} }, national);
      expect(r.errors).toBeUndefined();
      const section = r.data?.networkHealth.training;
      expect(section).toMatchObject({
        trainings: 2,
        cancelledTrainings: 1,
        seatsOffered: 11,
        seatsFilled: 11, // T1: 9 of 11 enrolments (2 cancelled); T2: 2
        fillRate: 1,
        waitlisted: 1,
        waitlistPressure: 0.091,
        attended: 8,
        noShow: 1,
        attendanceRate: 0.889,
        noShowRate: 0.111,
        hoursDelivered: 6 * 3 + 2 * 2,
        credentialsIssued: 5,
        crossNodeEnrolments: 1,
        crossNodeShare: 0.091,
        cancellations: 2,
        previous: { trainings: 1, attended: 4, hoursDelivered: 12 },
        trainingsTrend: 100,
        hoursDeliveredTrend: 83.3,
      });
      expect(section?.byTopic.filter((x) => x.seatsFilled > 0)).toEqual([
        { topic: "MACHINE_SAFETY", seatsFilled: 9, hoursDelivered: 18 },
        { topic: "DIGITAL_SKILLS", seatsFilled: 2, hoursDelivered: 4 },
      ]);
      expect(r.data?.networkHealth.regions).toEqual([
        { code: "75", training: { trainings: 0, seatsFilled: 0, hoursDelivered: 0 } },
        { code: "84", training: { trainings: 2, seatsFilled: 11, hoursDelivered: 22 } },
      ]);
      // The session's date decides: T9 counts in its own period only.
      const later = await t.gql<T>(
        TRAINING,
        { filter: { from: daysAgo(-10), to: daysAgo(-10) } },
        national,
      );
      expect(later.data?.networkHealth.training).toMatchObject({ trainings: 1, seatsFilled: 1 });
      // A fabrique's team: its territory only (B organises nothing).
      const team = await t.gql<T>(TRAINING, { filter: {} }, await t.adminToken(b.fabriqueId));
      expect(team.data?.networkHealth.training).toMatchObject({ trainings: 0, seatsFilled: 0 });
      const own = await t.gql<T>(TRAINING, { filter: {} }, await t.adminToken(a.fabriqueId));
      expect(own.data?.networkHealth.training).toMatchObject({ trainings: 2, seatsFilled: 11 });
    });

    it("reads training figures from the rollup only, one statement each per call", async () => {
      const statements: string[] = [];
      const store = t.hub.db.store;
      const counting = {
        ...store,
        query: <Row>(sql: string, params?: unknown[]) => {
          statements.push(sql);
          return store.query<Row>(sql, params);
        },
      };
      const service = createHealthService({ store: counting, geography: t.hub.services.geography });
      const answer = service.networkHealth({ role: "NATIONAL" } as Viewer, {});
      const [training, regions] = await Promise.all([answer.training(), answer.regions()]);
      await Promise.all(regions.map((r) => r.training()));
      expect(training.byTopic).toHaveLength(12);
      const reads = (table: string) =>
        statements.filter((q) => new RegExp(`\\b${table}\\b`).test(q));
      // This period and the previous one in one statement; the regions' in another.
      expect(reads("training_rollup")).toHaveLength(2);
      expect(reads("training")).toEqual([]);
      expect(reads("enrolment")).toEqual([]);
    });

    it("computes only the sections asked for, each statement once per call", async () => {
      const statements: string[] = [];
      const store = t.hub.db.store;
      const counting = {
        ...store,
        query: <Row>(sql: string, params?: unknown[]) => {
          statements.push(sql);
          return store.query<Row>(sql, params);
        },
      };
      const service = createHealthService({ store: counting, geography: t.hub.services.geography });
      const viewer = { role: "NATIONAL" } as Viewer;
      await service.networkHealth(viewer, {}).training();
      expect(statements).toHaveLength(1);
      expect(statements[0]).toMatch(/\btraining_rollup\b/);

      statements.length = 0;
      const answer = service.networkHealth(viewer, {});
      await Promise.all([answer.coverage(), answer.regions(), answer.mutualisation()]);
      // The regions' training figures are read only when asked for.
      expect(statements.filter((q) => /\btraining_rollup\b/.test(q))).toEqual([]);
      await Promise.all([answer.coverage(), answer.regions()]);
      const counts = new Map<string, number>();
      for (const q of statements) counts.set(q, (counts.get(q) ?? 0) + 1);
      // Each statement once: this period and the previous one are read together.
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      // Coverage from the space rollups only, by primary key: the space table is never read.
      expect(statements.filter((q) => /\bspace_rollup\b/.test(q))).toHaveLength(1);
      expect(statements.filter((q) => /\bspace\b/.test(q))).toEqual([]);
      // Resources from their rollup only, by primary key: the resource table is never read.
      expect(statements.filter((q) => /\bresource_rollup\b/.test(q))).toHaveLength(1);
      expect(statements.filter((q) => /\bresource\b/.test(q))).toEqual([]);
      expect(statements.filter((q) => /FROM node n/.test(q))).toEqual([]);
    });

    it("refuses bad filters", async () => {
      expect((await health({ region: "99" })).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect((await health({ from: today, to: daysAgo(3) })).errors?.[0]?.extensions?.code).toBe(
        "BAD_USER_INPUT",
      );
      expect((await health({ from: "2020-01-01", to: today })).errors?.[0]?.extensions?.code).toBe(
        "BAD_USER_INPUT",
      );
      expect((await health({ to: "21/11/2026" })).errors?.[0]?.extensions?.code).toBe(
        "BAD_USER_INPUT",
      );
      expect((await t.gql(HEALTH, {}, undefined)).errors?.[0]?.extensions?.code).toBe(
        "UNAUTHENTICATED",
      );
    });
  });
}
