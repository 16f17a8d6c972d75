import type { Sql } from "../sync/change-log.repository.ts";
import type { FlowLevel } from "./mobility-rollup.repository.ts";

/** The SQL of networkHealth's mobility section: the monthly rollup and the fabriques' names. */

export type FlowRow = {
  month: string;
  origin_level: FlowLevel;
  origin_id: string;
  dest_level: FlowLevel;
  dest_id: string;
  visits: number;
  members: number;
};

const COLUMNS = `to_char(month, 'YYYY-MM') AS month, origin_level, origin_id, dest_level,
  dest_id, visits, members`;

/**
 * A scope's totals, both ways (from its members' homes to anywhere, from anywhere to its
 * places), month by month over [firstMonth, lastMonth] (by the flow-then-month index).
 */
export async function scopeSeries(
  sql: Sql,
  level: FlowLevel,
  id: string,
  firstMonth: string,
  lastMonth: string,
): Promise<FlowRow[]> {
  return sql.query<FlowRow>(
    `SELECT ${COLUMNS} FROM mobility_rollup
     WHERE origin_level = $1 AND origin_id = $2 AND dest_level = 'ALL' AND dest_id = 'FR'
       AND month BETWEEN $3::date AND $4::date
     UNION ALL
     SELECT ${COLUMNS} FROM mobility_rollup
     WHERE origin_level = 'ALL' AND origin_id = 'FR' AND dest_level = $1 AND dest_id = $2
       AND month BETWEEN $3::date AND $4::date AND $1 <> 'ALL'`,
    [level, id, firstMonth, lastMonth],
  );
}

/**
 * Every flow of one month touching the scope: territory → territory with a territory of
 * `networks` on either side and those territories' totals (null: the nation — every
 * territory's totals, no territory → territory flows), and region rows and region → region
 * flows for `regions` (all when null; none when empty).
 */
export async function monthFlows(
  sql: Sql,
  month: string,
  networks: string[] | null,
  regions: string[] | null,
): Promise<FlowRow[]> {
  return sql.query<FlowRow>(
    `SELECT ${COLUMNS} FROM mobility_rollup
     WHERE month = $1::date AND (
       (origin_level = 'NETWORK' AND ($2::text[] IS NULL AND dest_level = 'ALL'
                                      OR origin_id = ANY($2::text[])))
       OR (dest_level = 'NETWORK' AND ($2::text[] IS NULL AND origin_level = 'ALL'
                                       OR dest_id = ANY($2::text[])))
       OR (origin_level = 'REGION' AND ($3::text[] IS NULL OR origin_id = ANY($3::text[])))
       OR (dest_level = 'REGION' AND ($3::text[] IS NULL OR dest_id = ANY($3::text[]))))`,
    [month, networks, regions],
  );
}

/** The fabrique territories (fabriques' ids) of a region, a department, or one fabrique. */
export async function networksIn(
  sql: Sql,
  level: "REGION" | "DEPARTMENT" | "NETWORK",
  id: string,
): Promise<string[]> {
  const column =
    level === "REGION" ? "region_code" : level === "DEPARTMENT" ? "department_code" : "id";
  const rows = await sql.query<{ id: string }>(
    `SELECT id FROM space WHERE kind = 'FABRIQUE' AND ${column} = $1`,
    [id],
  );
  return rows.map((r) => r.id);
}

/** Fabrique territories' names and regions (their fabriques'). */
export async function territoriesOf(
  sql: Sql,
  ids: string[],
): Promise<Map<string, { name: string; region: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await sql.query<{ id: string; name: string; region_code: string }>(
    "SELECT id, name, region_code FROM space WHERE id = ANY($1::text[])",
    [ids],
  );
  return new Map(rows.map((r) => [r.id, { name: r.name, region: r.region_code }]));
}
