import type { ChangeOp, EntityName } from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";

/** One change event waiting in (or already pushed from) the outbox. */
export type OutboxEntry = {
  seq: number;
  id: string;
  entity: EntityName;
  entityId: string;
  op: ChangeOp;
  payload: unknown;
  occurredAt: Date;
  schemaVersion: number;
  pushedAt: Date | null;
  rejectedCode: string | null;
  rejectedMessage: string | null;
};

export type NewOutboxEntry = Omit<OutboxEntry, "pushedAt" | "rejectedCode" | "rejectedMessage">;

type Row = {
  seq: string | number | bigint;
  id: string;
  entity: EntityName;
  entity_id: string;
  op: ChangeOp;
  payload: unknown;
  occurred_at: Date;
  schema_version: number;
  pushed_at: Date | null;
  rejected_code: string | null;
  rejected_message: string | null;
};

const COLUMNS = `seq, id, entity, entity_id, op, payload, occurred_at, schema_version, pushed_at,
  rejected_code, rejected_message`;

function toEntry(row: Row): OutboxEntry {
  return {
    seq: Number(row.seq),
    id: row.id,
    entity: row.entity,
    entityId: row.entity_id,
    op: row.op,
    payload: row.payload,
    occurredAt: row.occurred_at,
    schemaVersion: row.schema_version,
    pushedAt: row.pushed_at,
    rejectedCode: row.rejected_code,
    rejectedMessage: row.rejected_message,
  };
}

/** "outbox" as a number: serialises the agent's local writes (and so its seq allocation). */
const LOCAL_WRITE_LOCK = 0x6f7574626f78;

/** The only file that reads and writes the `outbox` table. */
export const outboxRepository = {
  /**
   * Serialises local writes until the transaction ends. seq is max + 1 read inside the
   * transaction: without this lock two concurrent PostgreSQL transactions could read the same
   * max (PGlite serialises transactions anyway; the lock costs nothing there).
   */
  async lockLocalWrites(tx: SqlSession): Promise<void> {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [LOCAL_WRITE_LOCK]);
  },

  async nextSeq(tx: SqlSession): Promise<number> {
    const rows = await tx.query<{ next: string | number }>(
      "SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM outbox",
    );
    return Number(rows[0]?.next ?? 1);
  },

  async append(tx: SqlSession, entry: NewOutboxEntry): Promise<void> {
    await tx.query(
      `INSERT INTO outbox (seq, id, entity, entity_id, op, payload, occurred_at, schema_version)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)`,
      [
        entry.seq,
        entry.id,
        entry.entity,
        entry.entityId,
        entry.op,
        entry.payload === null ? null : JSON.stringify(entry.payload),
        entry.occurredAt,
        entry.schemaVersion,
      ],
    );
  },

  /** The oldest events the hub has not applied yet, in seq order. */
  async unpushed(db: SqlSession, limit: number): Promise<OutboxEntry[]> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM outbox WHERE pushed_at IS NULL ORDER BY seq LIMIT $1`,
      [limit],
    );
    return rows.map(toEntry);
  },

  /** Events in seq order (the tests read the whole outbox with this). */
  async list(db: SqlSession, options: { afterSeq?: number; limit?: number } = {}) {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [options.afterSeq ?? 0, options.limit ?? 100_000],
    );
    return rows.map(toEntry);
  },

  async pendingStats(db: SqlSession): Promise<{ count: number; oldestAt: Date | null }> {
    const rows = await db.query<{ count: string | number; oldest: Date | null }>(
      "SELECT COUNT(*) AS count, MIN(occurred_at) AS oldest FROM outbox WHERE pushed_at IS NULL",
    );
    return { count: Number(rows[0]?.count ?? 0), oldestAt: rows[0]?.oldest ?? null };
  },

  async maxSeq(db: SqlSession): Promise<number> {
    const rows = await db.query<{ max: string | number }>(
      "SELECT COALESCE(MAX(seq), 0) AS max FROM outbox",
    );
    return Number(rows[0]?.max ?? 0);
  },

  /**
   * The hub's answer is the truth: events up to `appliedThrough` are pushed, later ones are not
   * (a hub restored from a backup may have lost some, and they must be sent again).
   */
  async recordAppliedThrough(tx: SqlSession, appliedThrough: number): Promise<void> {
    await tx.query(
      `UPDATE outbox SET pushed_at = now(), rejected_code = NULL, rejected_message = NULL,
         rejected_at = NULL
       WHERE seq <= $1 AND pushed_at IS NULL`,
      [appliedThrough],
    );
    await tx.query("UPDATE outbox SET pushed_at = NULL WHERE seq > $1 AND pushed_at IS NOT NULL", [
      appliedThrough,
    ]);
  },

  async recordRejection(tx: SqlSession, seq: number, code: string, message: string) {
    await tx.query(
      `UPDATE outbox SET rejected_code = $2, rejected_message = $3, rejected_at = now()
       WHERE seq = $1 AND pushed_at IS NULL`,
      [seq, code, message],
    );
  },

  /** The first unpushed event, when the hub refused it: it blocks the outbox. */
  async poisoned(db: SqlSession): Promise<OutboxEntry | undefined> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM outbox
       WHERE pushed_at IS NULL AND rejected_code IS NOT NULL ORDER BY seq LIMIT 1`,
    );
    return rows[0] && toEntry(rows[0]);
  },

  /** An operator's "try it again as it is": clears the refusal of one event. */
  async clearRejection(tx: SqlSession, seq: number): Promise<boolean> {
    const rows = await tx.query(
      `UPDATE outbox SET rejected_code = NULL, rejected_message = NULL, rejected_at = NULL
       WHERE seq = $1 AND pushed_at IS NULL AND rejected_code IS NOT NULL RETURNING seq`,
      [seq],
    );
    return rows.length > 0;
  },

  /**
   * A new change of a record whose event the hub refused supersedes it: that event, and the
   * later unpushed events of the same record (none of which the hub has seen), now carry the
   * record's new state, and the refusal is cleared. Returns the seqs rewritten.
   */
  async supersedeRefused(
    tx: SqlSession,
    change: {
      entity: EntityName;
      entityId: string;
      op: ChangeOp;
      payload: unknown;
      occurredAt: Date;
    },
  ): Promise<number[]> {
    const rows = await tx.query<{ seq: string | number }>(
      `UPDATE outbox SET op = $3, payload = $4::jsonb, occurred_at = $5,
         rejected_code = NULL, rejected_message = NULL, rejected_at = NULL
       WHERE entity = $1 AND entity_id = $2 AND pushed_at IS NULL
         AND seq >= (SELECT MIN(seq) FROM outbox
                     WHERE entity = $1 AND entity_id = $2 AND pushed_at IS NULL
                       AND rejected_code IS NOT NULL)
       RETURNING seq`,
      [
        change.entity,
        change.entityId,
        change.op,
        change.payload === null ? null : JSON.stringify(change.payload),
        change.occurredAt,
      ],
    );
    return rows.map((r) => Number(r.seq));
  },
};
