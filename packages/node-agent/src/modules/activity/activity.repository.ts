import type { ActivityPayload } from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";

/** A space's activity for one day as the agent stores it: the replicated counts and a local note. */
export type ActivityReport = ActivityPayload & {
  /** Stays at this agent, never in an event. */
  note: string | null;
  updatedAt: Date;
};

/** A reportActivity request already handled, by its client-chosen idempotency key. */
export type ActivityRequest = {
  idempotencyKey: string;
  spaceId: string;
  date: string;
  requestHash: string;
};

type Row = {
  space_id: string;
  day: string;
  visitors: number;
  events: number;
  participants: number;
  open_hours: number;
  note: string | null;
  updated_at: Date;
};

// Dates as text and hours as float8: no time zone nor decimal-string surprises in the drivers.
const COLUMNS = `space_id, to_char(day, 'YYYY-MM-DD') AS day, visitors, events, participants,
  open_hours::float8 AS open_hours, note, updated_at`;

function toReport(row: Row): ActivityReport {
  return {
    spaceId: row.space_id,
    date: row.day,
    visitors: row.visitors,
    events: row.events,
    participants: row.participants,
    openHours: Number(row.open_hours),
    note: row.note,
    updatedAt: row.updated_at,
  };
}

/** The replicated part of a report: what its ACTIVITY events carry. */
export function activityPayloadOf(report: ActivityPayload): ActivityPayload {
  return {
    spaceId: report.spaceId,
    date: report.date,
    visitors: report.visitors,
    events: report.events,
    participants: report.participants,
    openHours: report.openHours,
  };
}

/** The only file that reads and writes `activity_report` and `activity_request`. */
export const activityRepository = {
  async find(db: SqlSession, spaceId: string, date: string): Promise<ActivityReport | undefined> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM activity_report WHERE space_id = $1 AND day = $2::date`,
      [spaceId, date],
    );
    return rows[0] && toReport(rows[0]);
  },

  /** A space's reports from `from` to `to` (both included), by day. */
  async between(db: SqlSession, spaceId: string, from: string, to: string) {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM activity_report
       WHERE space_id = $1 AND day BETWEEN $2::date AND $3::date ORDER BY day`,
      [spaceId, from, to],
    );
    return rows.map(toReport);
  },

  /** Writes the day's report, replacing an earlier revision. */
  async save(
    db: SqlSession,
    report: ActivityPayload & { note: string | null },
  ): Promise<ActivityReport> {
    const rows = await db.query<Row>(
      `INSERT INTO activity_report (space_id, day, visitors, events, participants, open_hours, note)
       VALUES ($1, $2::date, $3, $4, $5, $6, $7)
       ON CONFLICT (space_id, day) DO UPDATE SET
         visitors = EXCLUDED.visitors, events = EXCLUDED.events,
         participants = EXCLUDED.participants, open_hours = EXCLUDED.open_hours,
         note = EXCLUDED.note, updated_at = now()
       RETURNING ${COLUMNS}`,
      [
        report.spaceId,
        report.date,
        report.visitors,
        report.events,
        report.participants,
        report.openHours,
        report.note,
      ],
    );
    return toReport(rows[0] as Row);
  },

  async delete(db: SqlSession, spaceId: string, date: string): Promise<ActivityReport | undefined> {
    const rows = await db.query<Row>(
      `DELETE FROM activity_report WHERE space_id = $1 AND day = $2::date RETURNING ${COLUMNS}`,
      [spaceId, date],
    );
    return rows[0] && toReport(rows[0]);
  },

  async findRequest(db: SqlSession, idempotencyKey: string): Promise<ActivityRequest | undefined> {
    const rows = await db.query<{
      idempotency_key: string;
      space_id: string;
      day: string;
      request_hash: string;
    }>(
      `SELECT idempotency_key, space_id, to_char(day, 'YYYY-MM-DD') AS day, request_hash
       FROM activity_request WHERE idempotency_key = $1`,
      [idempotencyKey],
    );
    const row = rows[0];
    return (
      row && {
        idempotencyKey: row.idempotency_key,
        spaceId: row.space_id,
        date: row.day,
        requestHash: row.request_hash,
      }
    );
  },

  async recordRequest(db: SqlSession, request: ActivityRequest): Promise<void> {
    await db.query(
      `INSERT INTO activity_request (idempotency_key, space_id, day, request_hash)
       VALUES ($1, $2, $3::date, $4)`,
      [request.idempotencyKey, request.spaceId, request.date, request.requestHash],
    );
  },
};
