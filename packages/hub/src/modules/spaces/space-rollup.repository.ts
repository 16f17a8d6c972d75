import { byKey } from "../mutualisation/booking-rollup.repository.ts";
import type { Sql } from "../sync/change-log.repository.ts";

/**
 * The rollups of the OPEN spaces the hub holds, for network health's coverage, per scope — the
 * nation, the region, department and fabrique territory of the space — and per department of
 * the space (migration 0016_space_rollup):
 *
 * - `space_rollup`: fabriques, satellites, rural spaces, and communes with at least one open
 *   space of the scope;
 * - `space_activity_rollup`: how many open spaces have their last report on each day
 *   (`-infinity`: none yet), so that the active and silent counts of any period are sums;
 * - `space_commune_rollup`: how many open spaces in each commune, from which
 *   `space_rollup.communes` is recounted for the keys a write touches.
 *
 * Every write that changes what a space counts for — a space created, changed, placed elsewhere
 * or closed (a node's SPACE push, the hub's registry) — reads the contributions of the spaces it
 * touches before and after writing them and adds the difference, in the same transaction
 * (`withSpaceRollups`); an activity push moving a space's last report day adds its day deltas
 * (`addLastDayDeltas`). One SQL definition of a space's contribution (`contributionsSql`)
 * serves these paths, the seed (`REBUILD_SPACE_ROLLUPS`) and the migration's backfill, which
 * spells the same statements out. A key left with nothing leaves no row behind.
 *
 * Locks: each table is written by one statement per call, in primary-key order (see
 * booking-rollup.repository.ts), communes first, then the departments' rows, then the days.
 */

/** The scopes a space counts in, on `s` (the space row). */
const SCOPES_OF_SPACE = `CROSS JOIN LATERAL (VALUES ('NATION', 'FR'), ('REGION', s.region_code),
                             ('DEPARTMENT', s.department_code),
                             ('FABRIQUE', coalesce(s.fabrique_id, s.id))) AS k(scope, scope_id)`;

/** The day an open space with no report yet counts on in space_activity_rollup. */
const NO_REPORT_DAY = "-infinity";

type SpaceContribution = {
  scope: string;
  scope_id: string;
  region_code: string;
  department_code: string;
  commune_code: string;
  /** `YYYY-MM-DD`, or NO_REPORT_DAY. */
  last_activity_day: string;
  fabriques: number;
  satellites: number;
  rural: number;
};

/**
 * What the OPEN spaces matching `where` (on `s`, the space row) count for, at the finest grain
 * of the three rollups, as SQL. Columns: scope, scope_id, region_code, department_code,
 * commune_code, last_activity_day (text), fabriques, satellites, rural (int).
 */
export function contributionsSql(where: string): string {
  return `
    SELECT k.scope, k.scope_id, s.region_code, s.department_code, s.commune_code,
           coalesce(s.last_activity_day, '${NO_REPORT_DAY}'::date)::text AS last_activity_day,
           count(*) FILTER (WHERE s.kind = 'FABRIQUE')::int AS fabriques,
           count(*) FILTER (WHERE s.kind = 'SATELLITE')::int AS satellites,
           count(*) FILTER (WHERE s.rural)::int AS rural
    FROM space s ${SCOPES_OF_SPACE}
    WHERE s.status = 'OPEN' AND (${where})
    GROUP BY k.scope, k.scope_id, s.region_code, s.department_code, s.commune_code,
             coalesce(s.last_activity_day, '${NO_REPORT_DAY}'::date)`;
}

/** The three rollups from the space table, by GROUP BY, into empty tables (the seed). */
export const REBUILD_SPACE_ROLLUPS = [
  `INSERT INTO space_commune_rollup (scope, scope_id, region_code, department_code, commune_code,
                                     spaces)
   SELECT scope::"RollupScope", scope_id, region_code, department_code, commune_code,
          sum(fabriques + satellites)::int
   FROM (${contributionsSql("true")}) c
   GROUP BY scope, scope_id, region_code, department_code, commune_code`,
  `INSERT INTO space_activity_rollup (scope, scope_id, region_code, department_code,
                                      last_activity_day, spaces)
   SELECT scope::"RollupScope", scope_id, region_code, department_code,
          last_activity_day::date, sum(fabriques + satellites)::int
   FROM (${contributionsSql("true")}) c
   GROUP BY scope, scope_id, region_code, department_code, last_activity_day`,
  `INSERT INTO space_rollup (scope, scope_id, region_code, department_code, fabriques,
                             satellites, rural, communes)
   SELECT scope::"RollupScope", scope_id, region_code, department_code, sum(fabriques)::int,
          sum(satellites)::int, sum(rural)::int, count(DISTINCT commune_code)::int
   FROM (${contributionsSql("true")}) c
   GROUP BY scope, scope_id, region_code, department_code`,
];

/** What the given spaces (by id) count for, as the hub holds them now. */
export async function contributionsOfSpaces(sql: Sql, ids: string[]): Promise<SpaceContribution[]> {
  if (ids.length === 0) return [];
  return sql.query<SpaceContribution>(contributionsSql("s.id = ANY($1::text[])"), [ids]);
}

type Delta = Record<string, string | number>;

/** Sums `after` minus `before` per key; keys whose values all net to zero are left out. */
function deltasOf(
  before: SpaceContribution[],
  after: SpaceContribution[],
  keys: readonly (keyof SpaceContribution)[],
  values: (row: SpaceContribution) => Record<string, number>,
): Delta[] {
  const sums = new Map<string, { key: Delta; values: Record<string, number> }>();
  const add = (row: SpaceContribution, sign: 1 | -1) => {
    const id = keys.map((k) => row[k]).join("|");
    const entry = sums.get(id) ?? {
      key: Object.fromEntries(keys.map((k) => [k, row[k]])),
      values: {},
    };
    for (const [k, v] of Object.entries(values(row))) {
      entry.values[k] = (entry.values[k] ?? 0) + sign * v;
    }
    sums.set(id, entry);
  };
  for (const row of before) add(row, -1);
  for (const row of after) add(row, 1);
  return [...sums.values()]
    .filter((e) => Object.values(e.values).some((v) => v !== 0))
    .map((e) => ({ ...e.key, ...e.values }))
    .sort(byKey((d) => keys.map((k) => String(d[k]))));
}

const DEPARTMENT_KEY = ["scope", "scope_id", "region_code", "department_code"] as const;
const COMMUNE_KEY = [...DEPARTMENT_KEY, "commune_code"] as const;
const DAY_KEY = [...DEPARTMENT_KEY, "last_activity_day"] as const;

/** `t.k = d.k AND …` for the key columns of a rollup row `t` and a delta row `d`. */
function keyMatch(keys: readonly string[]): string {
  return keys
    .map((k) => (k === "scope" ? `t.scope = d.scope::"RollupScope"` : `t.${k} = d.${k}`))
    .join(" AND ");
}

/** The record type of key columns for jsonb_to_recordset. */
function keyColumns(keys: readonly string[]): string {
  return keys.map((k) => `${k} ${k === "last_activity_day" ? "date" : "text"}`).join(", ");
}

/**
 * Adds `spaces` deltas to space_commune_rollup or space_activity_rollup, then deletes the rows
 * left at zero (still zero when deleted: a concurrent write may have added to them since).
 */
async function addCountDeltas(
  sql: Sql,
  table: "space_commune_rollup" | "space_activity_rollup",
  keys: readonly string[],
  deltas: Delta[],
): Promise<void> {
  if (deltas.length === 0) return;
  const columns = keys.join(", ");
  const returned = await sql.query<Delta & { spaces: number }>(
    `INSERT INTO ${table} AS t (${columns}, spaces)
     SELECT ${keys.map((k) => (k === "scope" ? `d.scope::"RollupScope"` : `d.${k}`)).join(", ")},
            d.spaces
     FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (${keyColumns(keys)}, spaces int))
          WITH ORDINALITY AS d(${columns}, spaces, n)
     ORDER BY d.n
     ON CONFLICT (${columns}) DO UPDATE SET spaces = t.spaces + EXCLUDED.spaces
     RETURNING ${keys.map((k) => `t.${k}::text AS ${k}`).join(", ")}, t.spaces`,
    [JSON.stringify(deltas)],
  );
  const emptied = returned.filter((r) => r.spaces === 0);
  if (emptied.length === 0) return;
  await sql.query(
    `DELETE FROM ${table} t USING jsonb_to_recordset($1::jsonb) AS d(${keyColumns(keys)})
     WHERE ${keyMatch(keys)} AND t.spaces = 0`,
    [JSON.stringify(emptied)],
  );
}

/**
 * Adds fabriques, satellites and rural deltas to space_rollup, and recounts `communes` from
 * space_commune_rollup for the departments in `recount`; deletes the rows left with no space.
 */
async function addDepartmentDeltas(sql: Sql, deltas: Delta[], recount: Delta[]): Promise<void> {
  const rows = new Map<string, Delta>();
  const id = (d: Delta) => DEPARTMENT_KEY.map((k) => d[k]).join("|");
  for (const d of recount) {
    rows.set(id(d), {
      ...Object.fromEntries(DEPARTMENT_KEY.map((k) => [k, d[k] ?? ""])),
      fabriques: 0,
      satellites: 0,
      rural: 0,
    });
  }
  for (const d of deltas) rows.set(id(d), d);
  const all = [...rows.values()].sort(byKey((d) => DEPARTMENT_KEY.map((k) => String(d[k]))));
  if (all.length === 0) return;
  const returned = await sql.query<Delta & { fabriques: number; satellites: number }>(
    `INSERT INTO space_rollup AS t (scope, scope_id, region_code, department_code, fabriques,
                                    satellites, rural, communes)
     SELECT d.scope::"RollupScope", d.scope_id, d.region_code, d.department_code, d.fabriques,
            d.satellites, d.rural,
            (SELECT count(*)::int FROM space_commune_rollup t WHERE ${keyMatch(DEPARTMENT_KEY)})
     FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (${keyColumns(DEPARTMENT_KEY)},
          fabriques int, satellites int, rural int))
          WITH ORDINALITY AS d(scope, scope_id, region_code, department_code, fabriques,
                               satellites, rural, n)
     ORDER BY d.n
     ON CONFLICT (scope, scope_id, region_code, department_code) DO UPDATE SET
       fabriques = t.fabriques + EXCLUDED.fabriques,
       satellites = t.satellites + EXCLUDED.satellites,
       rural = t.rural + EXCLUDED.rural,
       communes = EXCLUDED.communes
     RETURNING t.scope::text AS scope, t.scope_id, t.region_code, t.department_code,
               t.fabriques, t.satellites`,
    [JSON.stringify(all)],
  );
  const emptied = returned.filter((r) => r.fabriques === 0 && r.satellites === 0);
  if (emptied.length === 0) return;
  await sql.query(
    `DELETE FROM space_rollup t USING jsonb_to_recordset($1::jsonb) AS d(${keyColumns(DEPARTMENT_KEY)})
     WHERE ${keyMatch(DEPARTMENT_KEY)} AND t.fabriques = 0 AND t.satellites = 0`,
    [JSON.stringify(emptied)],
  );
}

/** Adds `after` minus `before` to the three rollups (keys with no difference are not written). */
export async function addSpaceDeltas(
  sql: Sql,
  before: SpaceContribution[],
  after: SpaceContribution[],
): Promise<void> {
  const spaces = (r: SpaceContribution) => ({ spaces: r.fabriques + r.satellites });
  const communes = deltasOf(before, after, COMMUNE_KEY, spaces);
  await addCountDeltas(sql, "space_commune_rollup", COMMUNE_KEY, communes);
  await addDepartmentDeltas(
    sql,
    deltasOf(before, after, DEPARTMENT_KEY, (r) => ({
      fabriques: r.fabriques,
      satellites: r.satellites,
      rural: r.rural,
    })),
    communes,
  );
  await addCountDeltas(
    sql,
    "space_activity_rollup",
    DAY_KEY,
    deltasOf(before, after, DAY_KEY, spaces),
  );
}

/**
 * Runs `write`, which creates, changes or closes the given spaces, and adds what that changed
 * to the space rollups, in the caller's transaction.
 */
export async function withSpaceRollups<T>(
  sql: Sql,
  spaceIds: string[],
  write: () => Promise<T>,
): Promise<T> {
  if (spaceIds.length === 0) return write();
  const before = await contributionsOfSpaces(sql, spaceIds);
  const result = await write();
  await addSpaceDeltas(sql, before, await contributionsOfSpaces(sql, spaceIds));
  return result;
}

/** An open space whose last report day moves from `from` (null: none) to `to`. */
export type LastDayMove = {
  region_code: string;
  department_code: string;
  network_id: string;
  from: string | null;
  to: string;
};

/** Moves the given open spaces' counts in space_activity_rollup from one day to another. */
export async function addLastDayDeltas(sql: Sql, moves: LastDayMove[]): Promise<void> {
  const on = (m: LastDayMove, day: string): SpaceContribution[] =>
    (
      [
        ["NATION", "FR"],
        ["REGION", m.region_code],
        ["DEPARTMENT", m.department_code],
        ["FABRIQUE", m.network_id],
      ] as const
    ).map(([scope, scope_id]) => ({
      scope,
      scope_id,
      region_code: m.region_code,
      department_code: m.department_code,
      commune_code: "",
      last_activity_day: day,
      fabriques: 0,
      satellites: 1,
      rural: 0,
    }));
  await addCountDeltas(
    sql,
    "space_activity_rollup",
    DAY_KEY,
    deltasOf(
      moves.flatMap((m) => on(m, m.from ?? NO_REPORT_DAY)),
      moves.flatMap((m) => on(m, m.to)),
      DAY_KEY,
      (r) => ({ spaces: r.fabriques + r.satellites }),
    ),
  );
}
