import type { Sql } from "../sync/change-log.repository.ts";

/** SQL of the hub's pseudonymous member references (id and home space only), written by pushes. */
export async function upsertMembers(
  sql: Sql,
  rows: { id: string; home_space_id: string; owner_node_id: string }[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `INSERT INTO member (id, home_space_id, owner_node_id)
     SELECT r.id, r.home_space_id, r.owner_node_id
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, home_space_id text, owner_node_id text)
     ON CONFLICT (id) DO UPDATE SET home_space_id = EXCLUDED.home_space_id
     WHERE member.owner_node_id = EXCLUDED.owner_node_id`,
    [JSON.stringify(rows)],
  );
}

/** Erasure at the home node: the hub forgets the pseudonymous member too. */
export async function deleteMembers(sql: Sql, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql.query("DELETE FROM member WHERE id = ANY($1::text[])", [ids]);
}
