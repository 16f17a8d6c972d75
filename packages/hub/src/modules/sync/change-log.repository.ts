import type { PulledEvent } from "@maillage/schema";
import type { Logger } from "../../logger.ts";

/** Anything that runs parameterised SQL inside the caller's transaction. */
export type Sql = {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
};

/** Runs the log's SQL inside a Prisma interactive transaction. */
export function prismaSql(tx: {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}): Sql {
  return {
    query: <Row>(sql: string, params: unknown[] = []) => tx.$queryRawUnsafe<Row[]>(sql, ...params),
  };
}

/** "log" as a number: the transaction advisory lock that serialises appends. */
const LOG_APPEND_LOCK = 0x6c6f67;

export type LogEntry = {
  eventId: string;
  originNodeId: string | null;
  seq: number | null;
  entity: string;
  entityId: string;
  op: "UPSERT" | "DELETE";
  payload: unknown;
  occurredAt: string;
  schemaVersion: number;
  targetNodeId: string | null;
};

/**
 * The hub's ordered log. Appends take a transaction-level advisory lock first, held until
 * commit: offsets are then committed in increasing order, so a reader that has seen offset
 * N has seen every offset below it and a cursor never skips a late commit.
 */
export async function appendToLog(sql: Sql, entries: LogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await sql.query("SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock($1::bigint)) AS l", [
    LOG_APPEND_LOCK,
  ]);
  await sql.query(
    `INSERT INTO change_log (event_id, origin_node_id, seq, entity, entity_id, op, payload,
                             occurred_at, schema_version, target_node_id)
     SELECT e.event_id, e.origin_node_id, e.seq, e.entity, e.entity_id, e.op, e.payload,
            e.occurred_at::timestamptz AT TIME ZONE 'UTC', e.schema_version, e.target_node_id
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS item(value, position),
          jsonb_to_record(item.value) AS e(event_id text, origin_node_id text, seq int,
            entity text, entity_id text, op text, payload jsonb, occurred_at text,
            schema_version int, target_node_id text)
     ORDER BY item.position`,
    [
      JSON.stringify(
        entries.map((e) => ({
          event_id: e.eventId,
          origin_node_id: e.originNodeId,
          seq: e.seq,
          entity: e.entity,
          entity_id: e.entityId,
          op: e.op,
          payload: e.payload ?? null,
          occurred_at: e.occurredAt,
          schema_version: e.schemaVersion,
          target_node_id: e.targetNodeId,
        })),
      ),
    ],
  );
}

type LogRow = {
  max_offset: string;
  offset: string | null;
  event_id: string;
  origin_node_id: string | null;
  entity: PulledEvent["entity"];
  entity_id: string;
  op: PulledEvent["op"];
  payload: unknown;
  occurred_at: Date | string;
  schema_version: number;
  target_node_id: string | null;
};

/**
 * The events a node may read after `after`: addressed to it, or to everyone and not made by
 * itself. One statement, so the page and the log's end come from one snapshot; when the page
 * is not full, the cursor jumps to the log's end (nothing below it concerns the node).
 */
export async function readLogFor(
  sql: Sql,
  nodeId: string,
  after: string,
  limit: number,
): Promise<LogPage> {
  const rows = await sql.query<LogRow>(
    `WITH mx AS (SELECT coalesce(max("offset"), 0) AS m FROM change_log),
     ev AS (
       SELECT l.* FROM change_log l, mx
       WHERE l."offset" > $1::bigint AND l."offset" <= mx.m
         AND (l.target_node_id = $2
              OR (l.target_node_id IS NULL AND l.origin_node_id IS DISTINCT FROM $2))
       ORDER BY l."offset" LIMIT $3)
     SELECT mx.m::text AS max_offset, ev."offset"::text AS "offset", ev.event_id, ev.origin_node_id,
            ev.entity, ev.entity_id, ev.op, ev.payload, ev.occurred_at AT TIME ZONE 'UTC' AS occurred_at, ev.schema_version,
            ev.target_node_id
     FROM mx LEFT JOIN ev ON true ORDER BY ev."offset"`,
    [after, nodeId, limit],
  );
  return pageOf(rows, after, limit);
}

/** A page for one node, and `head`: the log's newest offset when it was read. */
export type LogPage = { events: PulledEvent[]; cursor: string; hasMore: boolean; head: string };

/** One node's page from its rows (the log's end on each; one row with a null offset if none). */
function pageOf(rows: LogRow[], after: string, limit: number): LogPage {
  const events: PulledEvent[] = rows
    .filter((r) => r.offset !== null)
    .map((r) => ({
      offset: r.offset as string,
      id: r.event_id,
      originNodeId: r.origin_node_id,
      entity: r.entity,
      entityId: r.entity_id,
      op: r.op,
      payload: r.payload,
      occurredAt: toIso(r.occurred_at),
      schemaVersion: r.schema_version,
      targetNodeId: r.target_node_id,
    }));
  const logEnd = rows[0]?.max_offset ?? after;
  const hasMore = events.length === limit;
  const last = events.at(-1)?.offset;
  const cursor = hasMore && last ? last : maxOffset(logEnd, after);
  return { events, cursor, hasMore, head: logEnd };
}

export type LogRead = { nodeId: string; after: string; limit: number };

/**
 * readLogFor for many readers in ONE statement (the live followers one append woke): each
 * reader's page is exactly what readLogFor would answer it — same visibility, same page
 * limit, same cursor and hasMore — and all of them come from one snapshot, with one log end.
 * The statement also checks that each reader is still its fabrique's active node: undefined
 * for a revoked (replaced) or unknown node, which gets nothing. `liveness` is the node's
 * stored liveness, for the caller to record a pull when the sweeper marked it other than
 * ONLINE.
 */
export async function readLogForMany(
  sql: Sql,
  reads: readonly LogRead[],
): Promise<((LogPage & { liveness: string }) | undefined)[]> {
  if (reads.length === 0) return [];
  const rows = await sql.query<LogRow & { i: number; liveness: string | null }>(
    `WITH mx AS (SELECT coalesce(max("offset"), 0) AS m FROM change_log),
     r AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[])
                   WITH ORDINALITY AS r(node_id, after, lim, i))
     SELECT r.i::int AS i, n.liveness::text AS liveness, mx.m::text AS max_offset,
            ev."offset"::text AS "offset", ev.event_id, ev.origin_node_id, ev.entity,
            ev.entity_id, ev.op, ev.payload, ev.occurred_at AT TIME ZONE 'UTC' AS occurred_at,
            ev.schema_version, ev.target_node_id
     FROM r CROSS JOIN mx
     LEFT JOIN node n ON n.id = r.node_id AND n.status = 'ACTIVE'
     LEFT JOIN LATERAL (
       SELECT l.* FROM change_log l
       WHERE n.id IS NOT NULL AND l."offset" > r.after AND l."offset" <= mx.m
         AND (l.target_node_id = r.node_id
              OR (l.target_node_id IS NULL AND l.origin_node_id IS DISTINCT FROM r.node_id))
       ORDER BY l."offset" LIMIT r.lim) ev ON true
     ORDER BY r.i, ev."offset"`,
    [reads.map((r) => r.nodeId), reads.map((r) => r.after), reads.map((r) => r.limit)],
  );
  const byRead = reads.map(() => [] as (LogRow & { liveness: string | null })[]);
  for (const row of rows) byRead[row.i - 1]?.push(row);
  return reads.map((read, index) => {
    const own = byRead[index] ?? [];
    const liveness = own[0]?.liveness;
    if (!liveness) return undefined;
    return { ...pageOf(own, read.after, read.limit), liveness };
  });
}

/**
 * The most a cursor may lead the log's head for the hub to move the log's offsets past it
 * (moveOffsetsPast). A hub restored from a backup lost the events appended since the backup,
 * far fewer than this (a billion offsets: longer than the network writes in centuries). A
 * cursor further ahead was not handed out by this log, and moving the sequence that far could
 * run it out of values (bigint), stopping every append.
 */
export const MAX_CURSOR_LEAD = 1_000_000_000n;

/** A log whose offsets come from a sequence, appended under a transaction advisory lock. */
export type SequencedLog = {
  sequence: "change_log_offset_seq" | "network_event_offset_seq";
  appendLock: number;
};

export const CHANGE_LOG: SequencedLog = {
  sequence: "change_log_offset_seq",
  appendLock: LOG_APPEND_LOCK,
};

export type OffsetsMove =
  /** The sequence had handed out `previous` at most: the next append lands above the cursor. */
  | { outcome: "moved"; previous: string }
  /** The sequence was past the cursor already (another reader moved it, or appends since). */
  | { outcome: "already-past" }
  /** The cursor leads the head by more than MAX_CURSOR_LEAD: left alone. */
  | { outcome: "too-far" };

/**
 * A reader's cursor beyond the log's head (`head`, the newest offset its read saw): the hub
 * was restored from a backup, and its sequence, restored with the data, would hand out again
 * offsets the reader has passed — it would never read those events. Moves the sequence so the
 * next append lands above the cursor. Nothing, and no statement, when the cursor is not ahead
 * (undefined): the normal read path is unchanged.
 *
 * One statement, its own transaction when `sql` is the store: under the append lock, so no
 * append is between its nextval and its commit, it reads what the sequence handed out last
 * (last_value, less one when is_called is false: the next value is last_value itself) and
 * sets it to the cursor only when that is higher — never backwards, whatever the concurrent
 * readers and appends. The lock is taken in a MATERIALIZED CTE, before the correlated
 * subquery reads the sequence (a sequence is read outside any snapshot).
 */
export async function moveOffsetsPast(
  sql: Sql,
  log: SequencedLog,
  cursor: string,
  head: string,
): Promise<OffsetsMove | undefined> {
  const lead = BigInt(cursor) - BigInt(head);
  if (lead <= 0n) return undefined;
  if (lead > MAX_CURSOR_LEAD) return { outcome: "too-far" };
  const rows = await sql.query<{ previous: string }>(
    `WITH l AS MATERIALIZED (SELECT pg_advisory_xact_lock($1::bigint)::text AS locked),
     s AS MATERIALIZED (
       SELECT (SELECT q.last_value - CASE WHEN q.is_called THEN 0 ELSE 1 END
               FROM ${log.sequence} q WHERE l.locked IS NOT NULL) AS issued
       FROM l)
     SELECT s.issued::text AS previous, setval('${log.sequence}', $2::bigint, true)::text AS moved_to
     FROM s WHERE s.issued < $2::bigint`,
    [log.appendLock, cursor],
  );
  const moved = rows[0];
  return moved ? { outcome: "moved", previous: moved.previous } : { outcome: "already-past" };
}

/**
 * Says what moveOffsetsPast did for a reader: a warning when the offsets moved (once: later
 * reads find them past the cursor), an error when the cursor is too far ahead, once per key of
 * `tooFarReported` (such a cursor is left alone at every read).
 */
export function reportOffsetsMove(
  logger: Pick<Logger, "warn" | "error">,
  reader: { cursorOf: string; log: string; who: string; details: Record<string, unknown> },
  ahead: { cursor: string; head: string; move: OffsetsMove | undefined },
  tooFarReported: { keys: Set<string>; key: string },
): void {
  const { cursor, head, move } = ahead;
  if (move?.outcome === "moved") {
    logger.warn(
      { ...reader.details, cursor, head, previous: move.previous },
      `${reader.cursorOf} cursor is beyond the hub's ${reader.log} (a hub restored from a backup?): ${reader.log} offsets moved past it`,
    );
  } else if (move?.outcome === "too-far" && !tooFarReported.keys.has(tooFarReported.key)) {
    tooFarReported.keys.add(tooFarReported.key);
    logger.error(
      { ...reader.details, cursor, head, maxLead: MAX_CURSOR_LEAD.toString() },
      `${reader.cursorOf} cursor is too far beyond the hub's ${reader.log} to move the offsets past it: ${reader.who} misses new events until an operator moves them (docs/operations.md)`,
    );
  }
}

function maxOffset(a: string, b: string): string {
  return BigInt(a) >= BigInt(b) ? a : b;
}

function toIso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
