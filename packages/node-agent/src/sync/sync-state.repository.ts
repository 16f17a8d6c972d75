import type { SqlSession } from "@maillage/storage";

export type SyncState = {
  pullCursor: string;
  lastPushAt: Date | null;
  lastPullAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  hubReachable: boolean | null;
};

type Row = {
  pull_cursor: string;
  last_push_at: Date | null;
  last_pull_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  hub_reachable: boolean | null;
};

/** The only file that reads and writes the one-row `sync_state` table. */
export const syncStateRepository = {
  /** `forUpdate` inside a transaction: pull applies are serialised on this row. */
  async read(db: SqlSession, options: { forUpdate?: boolean } = {}): Promise<SyncState> {
    const rows = await db.query<Row>(
      `SELECT pull_cursor, last_push_at, last_pull_at, last_error, last_error_at, hub_reachable
       FROM sync_state WHERE id${options.forUpdate ? " FOR UPDATE" : ""}`,
    );
    const row = rows[0];
    if (!row) throw new Error("sync_state has no row: the agent's migrations did not run");
    return {
      pullCursor: row.pull_cursor,
      lastPushAt: row.last_push_at,
      lastPullAt: row.last_pull_at,
      lastError: row.last_error,
      lastErrorAt: row.last_error_at,
      hubReachable: row.hub_reachable,
    };
  },

  /** Stored in the transaction that applied the events it covers. */
  async recordPull(tx: SqlSession, cursor: string): Promise<void> {
    await tx.query(
      `UPDATE sync_state SET pull_cursor = $1, last_pull_at = now(), hub_reachable = TRUE,
         last_error = NULL, last_error_at = NULL
       WHERE id`,
      [cursor],
    );
  },

  async recordPush(tx: SqlSession): Promise<void> {
    await tx.query(
      `UPDATE sync_state SET last_push_at = now(), hub_reachable = TRUE, last_error = NULL,
         last_error_at = NULL
       WHERE id`,
    );
  },

  /** `reachable`: false when the hub could not be asked, null to leave it as it was. */
  async recordError(db: SqlSession, message: string, reachable: boolean | null): Promise<void> {
    await db.query(
      `UPDATE sync_state SET last_error = $1, last_error_at = now(),
         hub_reachable = COALESCE($2, hub_reachable)
       WHERE id`,
      [message, reachable],
    );
  },
};
