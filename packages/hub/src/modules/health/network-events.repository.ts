import {
  moveOffsetsPast,
  type OffsetsMove,
  type SequencedLog,
  type Sql,
} from "../sync/change-log.repository.ts";

/**
 * The national live feed, stored: appended in the transaction of the change it announces,
 * under a transaction advisory lock so offsets commit in order (as the sync log's do), and
 * read after a cursor, so a subscriber that reconnects resumes without a gap.
 */
const NETWORK_EVENT_LOCK = 0x6e6574;

const NETWORK_FEED: SequencedLog = {
  sequence: "network_event_offset_seq",
  appendLock: NETWORK_EVENT_LOCK,
};

export type NetworkEventKind =
  | "SPACE_CREATED"
  | "SPACE_UPDATED"
  | "SPACE_CLOSED"
  | "NODE_STATUS"
  | "ACTIVITY"
  | "MOBILITY";

export type NewNetworkEvent = {
  kind: NetworkEventKind;
  networkId: string;
  payload: Record<string, unknown>;
};

export type StoredNetworkEvent = NewNetworkEvent & { offset: string; recordedAt: Date };

export async function appendNetworkEvents(sql: Sql, events: NewNetworkEvent[]): Promise<void> {
  if (events.length === 0) return;
  await sql.query("SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock($1::bigint)) AS l", [
    NETWORK_EVENT_LOCK,
  ]);
  await sql.query(
    `INSERT INTO network_event (kind, network_id, payload, recorded_at)
     SELECT e.kind, e.network_id, e.payload, now() AT TIME ZONE 'UTC'
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS item(value, position),
          jsonb_to_record(item.value) AS e(kind text, network_id text, payload jsonb)
     ORDER BY item.position`,
    [
      JSON.stringify(
        events.map((e) => ({ kind: e.kind, network_id: e.networkId, payload: e.payload })),
      ),
    ],
  );
}

/**
 * Events after `after` (all, or one territory's), oldest first, and the cursor to resume from.
 * A cursor beyond the feed's newest event (a hub restored from a backup, a subscriber resuming
 * from before the restore) moves the feed's offsets past it (moveOffsetsPast: one more
 * statement, then only), so the subscriber receives every event appended afterwards;
 * `onCursorAhead` hears of it.
 */
export async function readNetworkEvents(
  sql: Sql,
  after: string,
  networkId: string | null,
  limit: number,
  onCursorAhead?: (ahead: { cursor: string; head: string; move: OffsetsMove }) => void,
): Promise<{ events: StoredNetworkEvent[]; cursor: string; hasMore: boolean }> {
  const rows = await sql.query<{
    max_offset: string;
    offset: string | null;
    kind: NetworkEventKind;
    network_id: string;
    payload: Record<string, unknown>;
    recorded_at: Date;
  }>(
    `WITH mx AS (SELECT coalesce(max("offset"), 0) AS m FROM network_event),
     ev AS (SELECT e.* FROM network_event e, mx
            WHERE e."offset" > $1::bigint AND e."offset" <= mx.m
              AND ($2::text IS NULL OR e.network_id = $2)
            ORDER BY e."offset" LIMIT $3)
     SELECT mx.m::text AS max_offset, ev."offset"::text AS "offset", ev.kind, ev.network_id, ev.payload,
            ev.recorded_at AT TIME ZONE 'UTC' AS recorded_at
     FROM mx LEFT JOIN ev ON true ORDER BY ev."offset"`,
    [after, networkId, limit],
  );
  const events = rows
    .filter((r) => r.offset !== null)
    .map((r) => ({
      offset: r.offset as string,
      kind: r.kind,
      networkId: r.network_id,
      payload: r.payload,
      recordedAt: r.recorded_at,
    }));
  const hasMore = events.length === limit;
  const end = rows[0]?.max_offset ?? after;
  const move = await moveOffsetsPast(sql, NETWORK_FEED, after, end);
  if (move) onCursorAhead?.({ cursor: after, head: end, move });
  const cursor = hasMore
    ? (events.at(-1)?.offset ?? after)
    : BigInt(end) > BigInt(after)
      ? end
      : after;
  return { events, cursor, hasMore };
}

/** The log's current end: where a subscriber without a cursor starts. */
export async function networkEventsEnd(sql: Sql): Promise<string> {
  const rows = await sql.query<{ m: string }>(
    'SELECT coalesce(max("offset"), 0)::text AS m FROM network_event',
  );
  return rows[0]?.m ?? "0";
}

/** Month-to-date totals of one rollup scope, for activity arrivals. */
export async function monthTotals(sql: Sql, scope: string, scopeId: string, day: string) {
  const rows = await sql.query<{
    visitors: string;
    events: string;
    participants: string;
    open_hours: string;
    reports: number;
  }>(
    `SELECT visitors::text, events::text, participants::text, open_hours::text, reports
     FROM activity_rollup
     WHERE scope = $1::"RollupScope" AND scope_id = $2 AND period = 'MONTH' AND period_start = date_trunc('month', $3::date)::date`,
    [scope, scopeId, day],
  );
  const r = rows[0];
  return {
    month: day.slice(0, 7),
    visitors: Number(r?.visitors ?? 0),
    events: Number(r?.events ?? 0),
    participants: Number(r?.participants ?? 0),
    openHours: Number(r?.open_hours ?? 0),
    reports: r?.reports ?? 0,
  };
}
