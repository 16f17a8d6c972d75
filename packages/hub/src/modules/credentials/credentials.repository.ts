import type { Sql } from "../sync/change-log.repository.ts";

/**
 * SQL of portable credentials at the hub: the keys of the nodes it lists (the `node` table
 * holds each node's public key since its enrolment) and the nodes' latest status lists.
 */

export type NodeKeyRow = { id: string; fabrique_id: string; public_key: { x: string } };

/** Every ACTIVE node's key, by node id (what the JWKS publishes). */
export async function activeNodeKeys(sql: Sql): Promise<NodeKeyRow[]> {
  return sql.query<NodeKeyRow>(
    "SELECT id, fabrique_id, public_key FROM node WHERE status = 'ACTIVE' ORDER BY id",
  );
}

export async function statusListOf(sql: Sql, nodeId: string): Promise<string | undefined> {
  const rows = await sql.query<{ vc: string }>("SELECT vc FROM status_list WHERE node_id = $1", [
    nodeId,
  ]);
  return rows[0]?.vc;
}

/** The node's latest list; one signed earlier than the stored one never replaces it. */
export async function upsertStatusList(
  sql: Sql,
  nodeId: string,
  vc: string,
  updatedAt: string,
): Promise<void> {
  await sql.query(
    `INSERT INTO status_list (node_id, vc, updated_at)
     VALUES ($1, $2, $3::timestamptz AT TIME ZONE 'UTC')
     ON CONFLICT (node_id) DO UPDATE SET vc = EXCLUDED.vc, updated_at = EXCLUDED.updated_at,
       received_at = now()
     WHERE status_list.updated_at <= EXCLUDED.updated_at`,
    [nodeId, vc, updatedAt],
  );
}

export async function deleteStatusList(sql: Sql, nodeId: string): Promise<void> {
  await sql.query("DELETE FROM status_list WHERE node_id = $1", [nodeId]);
}
