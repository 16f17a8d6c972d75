import type { SqlSession } from "@maillage/storage";

export type NodeSyncGauge = {
  nodeId: string;
  pending: number;
  /** Age of the oldest event still waiting at the node, as it last reported (0: none). */
  lagSeconds: number;
  /** Unix time of the node's last push or pull; null: never heard from. */
  lastSeen: number | null;
};

/** The active nodes' sync state, for a scrape: one statement over the node table. */
export async function nodeSyncGauges(sql: SqlSession): Promise<NodeSyncGauge[]> {
  const rows = await sql.query<{
    id: string;
    pending_estimate: number;
    lag_seconds: number | string;
    last_seen: number | string | null;
  }>(
    `SELECT id, pending_estimate,
       CASE WHEN pending_estimate > 0 AND oldest_pending_at IS NOT NULL
            THEN GREATEST(0, extract(epoch FROM now() - (oldest_pending_at AT TIME ZONE 'UTC')))
            ELSE 0 END::float8 AS lag_seconds,
       extract(epoch FROM last_seen_at AT TIME ZONE 'UTC')::float8 AS last_seen
     FROM node WHERE status = 'ACTIVE'`,
  );
  return rows.map((r) => ({
    nodeId: r.id,
    pending: Number(r.pending_estimate),
    lagSeconds: Number(r.lag_seconds),
    lastSeen: r.last_seen === null ? null : Number(r.last_seen),
  }));
}
