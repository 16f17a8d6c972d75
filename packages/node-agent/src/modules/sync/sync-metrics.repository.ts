import type { SqlSession } from "@maillage/storage";

export type AgentSyncGauges = {
  /** Events of the outbox the hub has not applied yet. */
  pending: number;
  /** Age of the oldest of them, in seconds (0: none). */
  oldestPendingSeconds: number;
  /** Of them, events the hub refused (they block the outbox until their record changes). */
  refused: number;
  /** Unix times of the last successful push and pull; null: never. */
  lastPush: number | null;
  lastPull: number | null;
  /** Null until the first exchange with the hub. */
  hubReachable: boolean | null;
};

/** The outbox and sync state, for a scrape: one statement. */
export async function agentSyncGauges(sql: SqlSession): Promise<AgentSyncGauges> {
  const rows = await sql.query<{
    pending: string | number;
    oldest_pending_seconds: string | number;
    refused: string | number;
    last_push: string | number | null;
    last_pull: string | number | null;
    hub_reachable: boolean | null;
  }>(
    `SELECT o.pending, o.oldest_pending_seconds, o.refused,
       extract(epoch FROM s.last_push_at)::float8 AS last_push,
       extract(epoch FROM s.last_pull_at)::float8 AS last_pull, s.hub_reachable
     FROM sync_state s, (
       SELECT COUNT(*) AS pending, COUNT(rejected_code) AS refused,
         COALESCE(GREATEST(0, extract(epoch FROM now() - MIN(occurred_at))), 0)::float8
           AS oldest_pending_seconds
       FROM outbox WHERE pushed_at IS NULL) o
     WHERE s.id`,
  );
  const row = rows[0];
  if (!row) throw new Error("sync_state has no row: the agent's migrations did not run");
  const time = (value: string | number | null) => (value === null ? null : Number(value));
  return {
    pending: Number(row.pending),
    oldestPendingSeconds: Number(row.oldest_pending_seconds),
    refused: Number(row.refused),
    lastPush: time(row.last_push),
    lastPull: time(row.last_pull),
    hubReachable: row.hub_reachable,
  };
}
