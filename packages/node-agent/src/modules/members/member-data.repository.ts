import type { SqlSession } from "@maillage/storage";

/**
 * What this node holds about one member, table by table, for the right of access (GDPR art.
 * 15) and for erasure (art. 17). Reads and writes across the tables that name a member (the
 * member, its passes, visits and disclosures, bookings, booking requests, enrolments,
 * credentials): the only file that touches them all by member id.
 */

/** Every table naming a member, and the column that does: the export reads each whole row. */
const HELD: readonly { key: string; table: string; column: string; order: string }[] = [
  { key: "passes", table: "pass", column: "member_id", order: "created_at, id" },
  { key: "visits", table: "visit", column: "member_id", order: "arrived_at, id" },
  {
    key: "disclosures",
    table: "visit_disclosure",
    column: "member_id",
    order: "disclosed_at, visit_id",
  },
  { key: "bookings", table: "booking", column: "booked_for_member", order: "id" },
  { key: "bookingRequests", table: "booking_request", column: "for_member", order: "id" },
  { key: "enrolments", table: "enrolment", column: "member_id", order: "created_at, id" },
  { key: "credentials", table: "credential", column: "member_id", order: "issued_at, id" },
];

export type HeldRows = Record<string, Record<string, unknown>[]>;

export const memberDataRepository = {
  /** The member's own row (every column), or undefined. */
  async memberRow(db: SqlSession, memberId: string): Promise<Record<string, unknown> | undefined> {
    const rows = await db.query<{ row: Record<string, unknown> }>(
      "SELECT to_jsonb(m) AS row FROM member m WHERE id = $1",
      [memberId],
    );
    return rows[0]?.row;
  },

  /** Every row naming the member, per kind, whole (JSON as PostgreSQL renders it). */
  async heldAbout(db: SqlSession, memberId: string): Promise<HeldRows> {
    const held: HeldRows = {};
    for (const { key, table, column, order } of HELD) {
      const rows = await db.query<{ row: Record<string, unknown> }>(
        `SELECT to_jsonb(t) AS row FROM ${table} t WHERE ${column} = $1 ORDER BY ${order}`,
        [memberId],
      );
      held[key] = rows.map((r) => r.row);
    }
    return held;
  },

  /**
   * Erasure, everywhere: the member's visits become anonymous counts (no member, no pass).
   * Each keeps its member-day for per-day tariffs: the id of the member's first visit to that
   * space that day, the same at both ends (settlement/pricing.ts).
   */
  async anonymiseVisits(db: SqlSession, memberId: string): Promise<number> {
    const rows = await db.query(
      `UPDATE visit v SET member_id = NULL, pass_id = NULL, erased_day_key = g.day_key,
         updated_at = now()
       FROM (SELECT id, min(id) OVER (PARTITION BY space_id, day) AS day_key
               FROM visit WHERE member_id = $1) g
       WHERE v.id = g.id RETURNING v.id`,
      [memberId],
    );
    return rows.length;
  },

  /** Erasure, everywhere: what the member disclosed at check-in here goes at once. */
  async deleteDisclosures(db: SqlSession, memberId: string): Promise<number> {
    const rows = await db.query(
      "DELETE FROM visit_disclosure WHERE member_id = $1 RETURNING visit_id",
      [memberId],
    );
    return rows.length;
  },

  /** Erasure at another node: its replicas of the member's passes count as revoked (ERASED). */
  async revokePassReplicas(db: SqlSession, memberId: string): Promise<number> {
    const rows = await db.query(
      `UPDATE pass SET status = 'REVOKED', revocation_reason = 'ERASED', updated_at = now()
       WHERE member_id = $1 AND NOT owned AND status = 'ACTIVE' RETURNING id`,
      [memberId],
    );
    return rows.length;
  },

  /**
   * Erasure at home, once the passes are revoked and sent: the signed passes (their
   * disclosures carry personal fields) and short codes go; what stays is what every other node
   * keeps, a revoked pass by its short code's hash, so that it is refused here too.
   */
  async stripOwnedPasses(db: SqlSession, memberId: string): Promise<number> {
    const rows = await db.query(
      `UPDATE pass SET owned = FALSE, sd_jwt = NULL, short_code = NULL, updated_at = now()
       WHERE member_id = $1 AND owned RETURNING id`,
      [memberId],
    );
    return rows.length;
  },

  /** The credentials this node issued to the member (owned), ids in order. */
  async ownedCredentialIds(db: SqlSession, memberId: string): Promise<string[]> {
    const rows = await db.query<{ id: string }>(
      "SELECT id FROM credential WHERE member_id = $1 AND owned ORDER BY id",
      [memberId],
    );
    return rows.map((r) => r.id);
  },

  /** A pulled erasure this node still has to act on with its key (its credentials' revocation). */
  async queueErasure(db: SqlSession, memberId: string): Promise<void> {
    await db.query(
      "INSERT INTO member_erasure (member_id) VALUES ($1) ON CONFLICT (member_id) DO NOTHING",
      [memberId],
    );
  },

  async pendingErasures(db: SqlSession, limit: number): Promise<string[]> {
    const rows = await db.query<{ member_id: string }>(
      "SELECT member_id FROM member_erasure ORDER BY received_at, member_id LIMIT $1",
      [limit],
    );
    return rows.map((r) => r.member_id);
  },

  async erasureDone(db: SqlSession, memberId: string): Promise<void> {
    await db.query("DELETE FROM member_erasure WHERE member_id = $1", [memberId]);
  },
};
