import type { Sql } from "../sync/change-log.repository.ts";
import { byKey } from "./booking-rollup.repository.ts";

/**
 * The rollup of the resources held at the hub (resource_rollup), per scope — the nation, the
 * region, department and fabrique territory of the resource's host space — and per region of
 * the host, sharing scope, category and status: how many resources, and the sum of their weekly
 * open minutes. RETIRED resources count for nothing. networkHealth reads it by primary key
 * instead of grouping the resource table on every call.
 *
 * Every write that changes what a resource counts for reads the contributions of the rows it
 * touches before and after writing them, and adds the difference, in the same transaction: a
 * resource pushed (created, recategorised, retired, moved to another space, …) and a space
 * placed in another commune or fabrique territory (its resources follow). One SQL definition of
 * a resource's contribution (`contributionsSql`) serves these paths, the seed and the
 * migration's backfill (0014_resource_rollup, which spells the same statement out).
 */

export type ResourceContribution = {
  scope: string;
  scope_id: string;
  region_code: string;
  sharing_scope: string;
  category: string;
  status: string;
  resources: number;
  weekly_open_minutes: number;
};

/**
 * Rollup rows of the resources matching `where` (on `r`, the resource row, and `s`, its host
 * space), RETIRED ones left out, grouped per key, as SQL. Columns: scope, scope_id,
 * region_code, sharing_scope, category, status, resources (int), weekly_open_minutes (bigint).
 */
export function contributionsSql(where: string): string {
  return `
    SELECT k.scope, k.scope_id, s.region_code, r.sharing_scope, r.category, r.status,
           count(*)::int AS resources, sum(r.weekly_open_minutes)::bigint AS weekly_open_minutes
    FROM resource r JOIN space s ON s.id = r.space_id
    CROSS JOIN LATERAL (VALUES ('NATION', 'FR'), ('REGION', s.region_code),
                               ('DEPARTMENT', s.department_code),
                               ('FABRIQUE', coalesce(s.fabrique_id, s.id)))
      AS k(scope, scope_id)
    WHERE r.status <> 'RETIRED' AND (${where})
    GROUP BY k.scope, k.scope_id, s.region_code, r.sharing_scope, r.category, r.status`;
}

async function contributions(
  sql: Sql,
  where: string,
  ids: string[],
): Promise<ResourceContribution[]> {
  if (ids.length === 0) return [];
  const rows = await sql.query<
    Omit<ResourceContribution, "weekly_open_minutes"> & { weekly_open_minutes: string }
  >(
    `SELECT scope, scope_id, region_code, sharing_scope, category, status, resources,
            weekly_open_minutes::text AS weekly_open_minutes
     FROM (${contributionsSql(where)}) x`,
    [ids],
  );
  return rows.map((r) => ({ ...r, weekly_open_minutes: Number(r.weekly_open_minutes) }));
}

/** What the given resources (by id) count for in the rollup, as the hub holds them now. */
export function contributionsOfResources(sql: Sql, ids: string[]): Promise<ResourceContribution[]> {
  return contributions(sql, "r.id = ANY($1::text[])", ids);
}

/** What the resources hosted at the given spaces count for, as the hub holds them now. */
export function contributionsOfSpaces(
  sql: Sql,
  spaceIds: string[],
): Promise<ResourceContribution[]> {
  return contributions(sql, "r.space_id = ANY($1::text[])", spaceIds);
}

const keyOf = (r: ResourceContribution) => [
  r.scope,
  r.scope_id,
  r.region_code,
  r.sharing_scope,
  r.category,
  r.status,
];

/** Adds `after` minus `before` to the rollup (rows with no difference are not written). */
export async function addResourceDeltas(
  sql: Sql,
  before: ResourceContribution[],
  after: ResourceContribution[],
): Promise<void> {
  const deltas = new Map<string, ResourceContribution>();
  const add = (row: ResourceContribution, sign: 1 | -1) => {
    const key = keyOf(row).join("|");
    const delta = deltas.get(key) ?? { ...row, resources: 0, weekly_open_minutes: 0 };
    delta.resources += sign * row.resources;
    delta.weekly_open_minutes += sign * row.weekly_open_minutes;
    deltas.set(key, delta);
  };
  for (const row of before) add(row, -1);
  for (const row of after) add(row, 1);
  // In primary-key order, kept by the statement (WITH ORDINALITY … ORDER BY): two pushes
  // touching the same rows (the nation's, a region's) lock them in the same order and never
  // deadlock (see booking-rollup.repository.ts).
  const changed = [...deltas.values()]
    .filter((d) => d.resources || d.weekly_open_minutes)
    .sort(byKey(keyOf));
  if (changed.length === 0) return;
  await sql.query(
    `INSERT INTO resource_rollup (scope, scope_id, region_code, sharing_scope, category, status,
                                 resources, weekly_open_minutes)
     SELECT d.scope::"RollupScope", d.scope_id, d.region_code, d.sharing_scope, d.category,
            d.status, d.resources, d.weekly_open_minutes
     FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (scope text, scope_id text,
          region_code text, sharing_scope text, category text, status text, resources int,
          weekly_open_minutes bigint))
          WITH ORDINALITY AS d(scope, scope_id, region_code, sharing_scope, category, status,
                               resources, weekly_open_minutes, n)
     ORDER BY d.n
     ON CONFLICT (scope, scope_id, region_code, sharing_scope, category, status) DO UPDATE SET
       resources = resource_rollup.resources + EXCLUDED.resources,
       weekly_open_minutes = resource_rollup.weekly_open_minutes + EXCLUDED.weekly_open_minutes`,
    [JSON.stringify(changed)],
  );
  // A key whose resources all went leaves no row behind (the backfill writes none for it).
  const emptied = changed.filter((d) => d.resources < 0);
  if (emptied.length === 0) return;
  await sql.query(
    `DELETE FROM resource_rollup r
     USING jsonb_to_recordset($1::jsonb) AS d(scope text, scope_id text, region_code text,
                                               sharing_scope text, category text, status text)
     WHERE r.scope = d.scope::"RollupScope" AND r.scope_id = d.scope_id
       AND r.region_code = d.region_code AND r.sharing_scope = d.sharing_scope
       AND r.category = d.category AND r.status = d.status AND r.resources = 0`,
    [JSON.stringify(emptied)],
  );
}
