import type { SqlStore } from "@maillage/storage";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { applyActivity } from "../modules/activity/activity.repository.ts";
import { type Backend, startTestHub, type TestHub } from "../testing/fixture.ts";
import { type SeedOptions, SeedRefusedError, seedNetwork } from "./generate.ts";

/** The generator's tests, shared by the PGlite (unit) and PostgreSQL (integration) suites. */

type Snapshot = { rollups: string[]; lastDays: string[] };

async function snapshot(store: SqlStore): Promise<Snapshot> {
  const rollups = await store.query<{ row: string }>(
    `SELECT concat_ws('|', scope, scope_id, period, to_char(period_start, 'YYYY-MM-DD'), visitors,
                      events, participants, open_hours, reports) AS row
     FROM activity_rollup ORDER BY scope, scope_id, period, period_start`,
  );
  const lastDays = await store.query<{ row: string }>(
    `SELECT concat_ws('|', id, to_char(last_activity_day, 'YYYY-MM-DD')) AS row FROM space ORDER BY id`,
  );
  return { rollups: rollups.map((r) => r.row), lastDays: lastDays.map((r) => r.row) };
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
    beforeEach(() => t.reset());

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
      await seedNetwork(store, { ...options, seed: (options.seed ?? 1) + 1 });
      expect((await snapshot(store)).rollups).not.toEqual(firstSnapshot.rollups);
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
      expect([...seen.keys()]).toEqual(["spaces", "reports", "rollups", "nodes"]);
      for (const [done, total] of seen.values()) expect(done).toBe(total);
    });
  });
}
