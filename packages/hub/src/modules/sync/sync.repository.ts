import type { Sql } from "./change-log.repository.ts";

/** SQL of the sync module's writes to the registry tables, inside the push transaction. */

export type NodeSyncRow = {
  id: string;
  fabrique_id: string;
  status: "ACTIVE" | "REVOKED";
  pushed_seq: number;
};

/** Locks the node's row for the push: two pushes of one node are applied one after the other. */
export async function lockNode(sql: Sql, nodeId: string): Promise<NodeSyncRow | undefined> {
  const rows = await sql.query<NodeSyncRow>(
    "SELECT id, fabrique_id, status, pushed_seq FROM node WHERE id = $1 FOR UPDATE",
    [nodeId],
  );
  return rows[0];
}

export type OwnedRow = { id: string; owner_node_id: string | null; fabrique_id: string | null };

export async function spacesByIds(sql: Sql, ids: string[]): Promise<OwnedRow[]> {
  if (ids.length === 0) return [];
  return sql.query<OwnedRow>(
    "SELECT id, owner_node_id, fabrique_id FROM space WHERE id = ANY($1::text[])",
    [ids],
  );
}

export async function membersByIds(sql: Sql, ids: string[]): Promise<OwnedRow[]> {
  if (ids.length === 0) return [];
  return sql.query<OwnedRow>(
    "SELECT id, owner_node_id, NULL::text AS fabrique_id FROM member WHERE id = ANY($1::text[])",
    [ids],
  );
}

/**
 * The first re-sent seq whose event id differs from the one the hub applied under that seq;
 * undefined when every re-sent event is the same event.
 */
export async function firstSeqConflict(
  sql: Sql,
  nodeId: string,
  resent: { seq: number; id: unknown }[],
): Promise<number | undefined> {
  if (resent.length === 0) return undefined;
  const rows = await sql.query<{ seq: number; event_id: string }>(
    "SELECT seq, event_id FROM change_log WHERE origin_node_id = $1 AND seq = ANY($2::int[])",
    [nodeId, resent.map((r) => r.seq)],
  );
  const applied = new Map(rows.map((r) => [r.seq, r.event_id]));
  return resent.find((r) => applied.has(r.seq) && applied.get(r.seq) !== r.id)?.seq;
}

export async function recordPush(
  sql: Sql,
  nodeId: string,
  progress: { pushedSeq: number; pending: number; oldestPendingAt: Date | null },
): Promise<{ previousLiveness: string; fabriqueId: string }> {
  const rows = await sql.query<{ previous: string; fabrique_id: string }>(
    `WITH old AS (SELECT liveness FROM node WHERE id = $1)
     UPDATE node SET pushed_seq = $2, pending_estimate = $3,
                     oldest_pending_at = $4::timestamptz AT TIME ZONE 'UTC',
                     last_push_at = now() AT TIME ZONE 'UTC', last_seen_at = now() AT TIME ZONE 'UTC',
                     liveness = 'ONLINE'
     WHERE id = $1 RETURNING (SELECT liveness FROM old)::text AS previous, fabrique_id`,
    [nodeId, progress.pushedSeq, progress.pending, progress.oldestPendingAt?.toISOString() ?? null],
  );
  return {
    previousLiveness: rows[0]?.previous ?? "ONLINE",
    fabriqueId: rows[0]?.fabrique_id ?? "",
  };
}

/** How often at most a node's pulls are written to its row (live followers pull a lot). */
export const PULL_RECORD_EVERY_SECONDS = 30;

/**
 * Marks a pull; undefined when the node no longer exists or was revoked (replaced). The row
 * is written at most every PULL_RECORD_EVERY_SECONDS per node: live followers pull on every
 * append.
 */
export async function recordPull(
  sql: Sql,
  nodeId: string,
): Promise<{ previousLiveness: string; fabriqueId: string } | undefined> {
  const rows = await sql.query<{ previous: string; fabrique_id: string }>(
    `WITH old AS (SELECT liveness FROM node WHERE id = $1)
     UPDATE node SET last_pull_at = now() AT TIME ZONE 'UTC', last_seen_at = now() AT TIME ZONE 'UTC',
                     liveness = 'ONLINE'
     WHERE id = $1 AND status = 'ACTIVE'
       AND (liveness <> 'ONLINE' OR last_pull_at IS NULL
            OR last_pull_at < (now() AT TIME ZONE 'UTC') - interval '${PULL_RECORD_EVERY_SECONDS} seconds')
     RETURNING (SELECT liveness FROM old)::text AS previous, fabrique_id`,
    [nodeId],
  );
  const row = rows[0];
  if (row) return { previousLiveness: row.previous, fabriqueId: row.fabrique_id };
  const active = await sql.query<{ fabrique_id: string }>(
    "SELECT fabrique_id FROM node WHERE id = $1 AND status = 'ACTIVE'",
    [nodeId],
  );
  return active[0] ? { previousLiveness: "ONLINE", fabriqueId: active[0].fabrique_id } : undefined;
}

/** The registry fields the national feed shows of the spaces a push changed. */
export async function spacesForFeed(sql: Sql, ids: string[]) {
  if (ids.length === 0) return [];
  return sql.query<{
    id: string;
    name: string;
    kind: "FABRIQUE" | "SATELLITE";
    fabriqueId: string | null;
    regionCode: string;
    departmentCode: string;
    communeName: string;
    rural: boolean;
  }>(
    `SELECT id, name, kind::text AS kind, fabrique_id AS "fabriqueId", region_code AS "regionCode",
            department_code AS "departmentCode", commune_name AS "communeName", rural
     FROM space WHERE id = ANY($1::text[]) ORDER BY id`,
    [ids],
  );
}
