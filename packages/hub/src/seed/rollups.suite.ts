import type { SqlStore } from "@maillage/storage";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { applyActivity } from "../modules/activity/activity.repository.ts";
import { erasePresence, recomputeSql } from "../modules/mobility/mobility-rollup.repository.ts";
import { anonymiseVisitsOf } from "../modules/mobility/mobility-sync.repository.ts";
import { type Backend, startTestHub, type TestHub } from "../testing/fixture.ts";
import { seedNetwork } from "./generate.ts";
import { ROLLUP_TABLES, RollupsBusyError, rebuildRollups } from "./rollups.ts";

/** rebuildRollups' tests, shared by the PGlite (unit) and PostgreSQL (integration) suites. */

type Snapshot = Record<string, string[]>;

/** Every row of every rollup, as text, in one order. */
async function snapshot(store: SqlStore): Promise<Snapshot> {
  const result: Snapshot = {};
  for (const table of ROLLUP_TABLES) {
    const rows = await store.query<{ row: string }>(
      `SELECT t::text AS row FROM ${table} t ORDER BY 1`,
    );
    result[table] = rows.map((r) => r.row);
  }
  return result;
}

/** Deletes about a third of every rollup's rows, changes some, adds rows that count nothing. */
async function corrupt(store: SqlStore): Promise<void> {
  for (const table of ROLLUP_TABLES) {
    await store.exec(`DELETE FROM ${table} t WHERE abs(hashtext(t::text)) % 3 = 0`);
  }
  await store.exec(`
    UPDATE activity_rollup SET visitors = visitors + 7, reports = reports - 1 WHERE scope = 'NATION';
    UPDATE booking_rollup SET bookings = bookings * 2 WHERE scope = 'REGION';
    UPDATE resource_rollup SET weekly_open_minutes = 0 WHERE scope = 'FABRIQUE';
    UPDATE training_rollup SET seats_filled = seats_filled + 3 WHERE topic = '*';
    UPDATE mobility_rollup SET members = members + 100, visits = visits + 1;
    UPDATE mobility_presence SET visits = visits + 2;
    UPDATE space_rollup SET communes = communes + 1;
    UPDATE space_activity_rollup SET spaces = spaces + 1;
    UPDATE space_commune_rollup SET spaces = 0;
    INSERT INTO booking_rollup VALUES ('DEPARTMENT', '99', '2020-01-01', 4, 240, 1, 0);
    INSERT INTO space_rollup VALUES ('REGION', '99', '99', '99', 1, 2, 3, 4);
    INSERT INTO mobility_rollup VALUES ('2020-01-01', 'ALL', 'FR', 'ALL', 'FR', 5, 5);
  `);
}

const SEED = { scale: "demo", until: "2025-03-31", seed: 7 } as const;

export function registerRollupTests(backend: Backend) {
  describe(`rebuildRollups (${backend})`, () => {
    let t: TestHub;
    let store: SqlStore;
    beforeAll(async () => {
      t = await startTestHub(backend);
      store = t.hub.db.store;
    });
    afterAll(() => t?.close());
    beforeEach(async () => {
      await t.reset();
      await seedNetwork(store, SEED);
    });

    it("gives back every rollup exactly as the seed wrote it, whatever was deleted, changed or added", async () => {
      const seeded = await snapshot(store);
      for (const table of ROLLUP_TABLES) expect(seeded[table]?.length, table).toBeGreaterThan(0);
      await corrupt(store);
      expect(await snapshot(store)).not.toEqual(seeded);

      const result = await rebuildRollups(store);
      expect(await snapshot(store)).toEqual(seeded);
      expect(result.tables).toEqual(
        ROLLUP_TABLES.map((table) => ({ table, rows: seeded[table]?.length })),
      );
      expect(result.attempts).toBe(1);
      expect(result.lockedSeconds).toBeGreaterThan(0);
      expect(result.seconds).toBeGreaterThanOrEqual(result.lockedSeconds);
      // Nothing drifted: a second rebuild changes nothing.
      await rebuildRollups(store);
      expect(await snapshot(store)).toEqual(seeded);
    });

    it("equals what the writers' deltas give: reports added, revised and withdrawn, a member erased", async () => {
      const [space] = await store.query<{ id: string; owner: string; day: string }>(
        `SELECT a.space_id AS id, n.id AS owner, to_char(max(a.day), 'YYYY-MM-DD') AS day
         FROM activity_report a JOIN space s ON s.id = a.space_id
         JOIN node n ON n.fabrique_id = coalesce(s.fabrique_id, s.id)
         GROUP BY a.space_id, n.id ORDER BY a.space_id LIMIT 1`,
      );
      if (!space) throw new Error("the seed wrote no report");
      const report = (day: string, visitors: number) => ({
        spaceId: space.id,
        day,
        report: {
          spaceId: space.id,
          date: day,
          visitors,
          events: 1,
          participants: 3,
          openHours: 4.5,
        },
      });
      await store.transaction((tx) =>
        applyActivity(tx, space.owner, [
          report("2025-04-01", 12), // a new day, a new month, a new last report day
          report(space.day, 99), // revised
        ]),
      );
      await store.transaction((tx) =>
        applyActivity(tx, space.owner, [{ spaceId: space.id, day: "2025-04-01", report: null }]),
      );
      await store.transaction((tx) => applyActivity(tx, space.owner, [report("2025-04-02", 5)]));
      // A member's erasure, as the hub applies it (member-sync.ts): visits anonymised, presence
      // rows gone, the distinct members they made kept.
      const [traveller] = await store.query<{ member_id: string }>(
        `SELECT member_id FROM visit WHERE space_id <> home_space_id AND member_id IS NOT NULL
         GROUP BY member_id ORDER BY count(*) DESC, member_id LIMIT 1`,
      );
      if (!traveller) throw new Error("the seed wrote no visit away from home");
      await store.transaction(async (tx) => {
        await anonymiseVisitsOf(tx, [traveller.member_id]);
        await erasePresence(tx, [traveller.member_id]);
      });

      const incremental = await snapshot(store);
      await rebuildRollups(store);
      const rebuilt = await snapshot(store);
      // The withdrawn day's rows stay at zero in the deltas' tables; nothing else differs, the
      // erased member's distinct counts included.
      const withoutZeroDays: Snapshot = {
        ...incremental,
        activity_rollup: (incremental.activity_rollup ?? []).filter(
          (row) => !/,DAY,2025-04-01,0,0,0,0\.00,0\)$/.test(row),
        ),
      };
      expect(rebuilt).toEqual(withoutZeroDays);
      expect(incremental.activity_rollup?.length).toBeGreaterThan(
        rebuilt.activity_rollup?.length ?? 0,
      );

      // Corrupted, the same, but for the erased member's flows: who they were is gone, so their
      // members lie between the named members and those plus the anonymised visits.
      await corrupt(store);
      await rebuildRollups(store);
      const erasedFlows = new Set(
        (
          await store.query<{ key: string }>(
            `SELECT concat_ws(',', month, origin_level, origin_id, dest_level, dest_id) AS key
             FROM (${recomputeSql("x.member_id IS NULL")}) a`,
          )
        ).map((r) => r.key),
      );
      expect(erasedFlows.size).toBeGreaterThan(0);
      const flowOf = (row: string) => row.slice(1).split(",").slice(0, 5).join(",");
      const { mobility_rollup: mobility, ...others } = await snapshot(store);
      const { mobility_rollup: expected, ...expectedOthers } = withoutZeroDays;
      expect(others).toEqual(expectedOthers);
      expect(mobility?.filter((row) => !erasedFlows.has(flowOf(row)))).toEqual(
        expected?.filter((row) => !erasedFlows.has(flowOf(row))),
      );
      const [outOfBounds] = await store.query<{ n: number }>(
        `SELECT count(*)::int AS n
         FROM mobility_rollup m
         JOIN (${recomputeSql("true")}) r USING (month, origin_level, origin_id, dest_level, dest_id)
         LEFT JOIN (${recomputeSql("x.member_id IS NULL")}) a
           USING (month, origin_level, origin_id, dest_level, dest_id)
         WHERE m.visits <> r.visits OR m.members < r.members
            OR m.members > r.members + coalesce(a.visits, 0)`,
      );
      expect(outOfBounds?.n).toBe(0);
      const [anonymised] = await store.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM visit WHERE member_id IS NULL",
      );
      expect(anonymised?.n).toBeGreaterThan(0);
    });

    if (backend === "postgres") {
      it("counts a writer's change once when it commits while the rebuild waits, or after it", async () => {
        const [space] = await store.query<{ id: string; owner: string }>(
          `SELECT s.id, n.id AS owner FROM space s
           JOIN node n ON n.fabrique_id = coalesce(s.fabrique_id, s.id) ORDER BY s.id LIMIT 1`,
        );
        if (!space) throw new Error("no space with a node");
        const report = (day: string) => ({
          spaceId: space.id,
          day,
          report: {
            spaceId: space.id,
            date: day,
            visitors: 10,
            events: 1,
            participants: 2,
            openHours: 3,
          },
        });
        // A push holding its rollup rows (and their table's lock) while the rebuild starts.
        let release = () => {};
        const held = new Promise<void>((resolve) => {
          release = resolve;
        });
        let wrote = () => {};
        const written = new Promise<void>((resolve) => {
          wrote = resolve;
        });
        const writer = store.transaction(async (tx) => {
          await applyActivity(tx, space.owner, [report("2025-04-03")]);
          wrote();
          await held;
        });
        await written;
        const rebuilding = rebuildRollups(store, { retryDelayMs: 20 });
        await new Promise((resolve) => setTimeout(resolve, 150));
        release();
        await writer;
        const result = await rebuilding;
        expect(result.attempts).toBe(1);
        // A push after it adds its delta to the rebuilt rows.
        await store.transaction((tx) => applyActivity(tx, space.owner, [report("2025-04-04")]));
        const incremental = await snapshot(store);
        await rebuildRollups(store);
        expect(await snapshot(store)).toEqual(incremental);
        const [nation] = await store.query<{ visitors: string }>(
          `SELECT sum(visitors)::text AS visitors FROM activity_rollup
           WHERE scope = 'NATION' AND period = 'DAY' AND period_start >= '2025-04-03'`,
        );
        expect(nation?.visitors).toBe("20");
      });

      it("gives up, changing nothing, while a writer keeps a rollup locked: the writer never fails", async () => {
        const before = await snapshot(store);
        let release = () => {};
        const held = new Promise<void>((resolve) => {
          release = resolve;
        });
        let locked = () => {};
        const holding = new Promise<void>((resolve) => {
          locked = resolve;
        });
        const writer = store.transaction(async (tx) => {
          await tx.exec("UPDATE booking_rollup SET bookings = bookings WHERE false");
          locked();
          await held;
        });
        await holding;
        await expect(rebuildRollups(store, { attempts: 2, retryDelayMs: 10 })).rejects.toThrow(
          RollupsBusyError,
        );
        release();
        await writer;
        expect(await snapshot(store)).toEqual(before);
      });
    }
  });
}
