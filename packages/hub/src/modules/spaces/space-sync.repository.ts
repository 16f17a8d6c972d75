import type { Sql } from "../sync/change-log.repository.ts";

/** SQL of the hub's copy of nodes' spaces, written by pushes inside the push transaction. */

export type SpaceWrite = {
  id: string;
  kind: "FABRIQUE" | "SATELLITE";
  name: string;
  commune_code: string;
  commune_name: string;
  department_code: string;
  region_code: string;
  population: number;
  rural: boolean;
  services: string[];
  opening_hours: unknown;
  status: "OPEN" | "CLOSED";
  fabrique_id: string | null;
  owner_node_id: string;
};

/** Where the given spaces are now (department, region), those the hub holds. */
export async function placesOf(
  sql: Sql,
  ids: string[],
): Promise<Map<string, { department_code: string; region_code: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await sql.query<{ id: string; department_code: string; region_code: string }>(
    "SELECT id, department_code, region_code FROM space WHERE id = ANY($1::text[])",
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r]));
}

/** Inserts or replaces spaces in one statement (each id at most once per call). */
export async function upsertSpaces(sql: Sql, rows: SpaceWrite[]): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `INSERT INTO space (id, kind, name, commune_code, commune_name, department_code, region_code,
                        population, rural, services, opening_hours, status, closed_at,
                        fabrique_id, owner_node_id, updated_at)
     SELECT r.id, r.kind::"SpaceKind", r.name, r.commune_code, r.commune_name, r.department_code,
            r.region_code, r.population, r.rural,
            ARRAY(SELECT jsonb_array_elements_text(r.services)), r.opening_hours,
            r.status::"SpaceStatus",
            CASE WHEN r.status = 'CLOSED' THEN now() AT TIME ZONE 'UTC' END,
            r.fabrique_id, r.owner_node_id, now() AT TIME ZONE 'UTC'
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, kind text, name text, commune_code text,
       commune_name text, department_code text, region_code text, population int, rural boolean,
       services jsonb, opening_hours jsonb, status text, fabrique_id text, owner_node_id text)
     ON CONFLICT (id) DO UPDATE SET
       name = EXCLUDED.name, commune_code = EXCLUDED.commune_code,
       commune_name = EXCLUDED.commune_name, department_code = EXCLUDED.department_code,
       region_code = EXCLUDED.region_code, population = EXCLUDED.population,
       rural = EXCLUDED.rural, services = EXCLUDED.services,
       opening_hours = EXCLUDED.opening_hours, status = EXCLUDED.status,
       closed_at = CASE WHEN EXCLUDED.status = 'CLOSED' THEN coalesce(space.closed_at, EXCLUDED.closed_at) END,
       updated_at = EXCLUDED.updated_at
     WHERE space.owner_node_id = EXCLUDED.owner_node_id`,
    [JSON.stringify(rows)],
  );
}

/** A node's DELETE of a satellite closes it: the hub keeps its history (members, activity). */
export async function closeSpaces(sql: Sql, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql.query(
    `UPDATE space SET status = 'CLOSED', closed_at = coalesce(closed_at, now() AT TIME ZONE 'UTC'),
                      updated_at = now() AT TIME ZONE 'UTC'
     WHERE id = ANY($1::text[])`,
    [ids],
  );
}
