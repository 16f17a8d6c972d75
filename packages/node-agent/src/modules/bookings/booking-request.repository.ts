import type {
  BookingDecisionPayload,
  BookingKind,
  BookingRequestPayload,
  LoanStatus,
} from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";

export const REQUEST_DIRECTIONS = ["OUTGOING", "INCOMING"] as const;
export type RequestDirection = (typeof REQUEST_DIRECTIONS)[number];
export const REQUEST_STATUSES = ["PENDING", "CONFIRMED", "DECLINED", "CANCELLED"] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/**
 * A booking request: OUTGOING (this node asked another node's resource; it owns the record) or
 * INCOMING (another node asked one of this node's resources; this node owns the decision).
 */
export type BookingRequestRecord = {
  id: string;
  direction: RequestDirection;
  resourceId: string;
  kind: BookingKind;
  from: Date;
  to: Date;
  forMember: string | null;
  forSpace: string | null;
  requesterNodeId: string;
  ownerNodeId: string | null;
  status: RequestStatus;
  reason: string | null;
  reasonCode: string | null;
  bookingId: string | null;
  loan: {
    status: LoanStatus;
    holderSpaceId: string;
    checkedOutAt: Date | null;
    returnedAt: Date | null;
  } | null;
  decidedAt: Date | null;
  /** INCOMING: the requester withdrew it after it was confirmed; the owner has yet to answer. */
  cancelRequested: boolean;
  createdAt: Date;
  updatedAt: Date;
};

/** What a decision (made here, or received) writes on a request. */
export type DecisionFields = {
  status: RequestStatus;
  reason: string | null;
  reasonCode: string | null;
  bookingId: string | null;
  loan: BookingRequestRecord["loan"];
  decidedAt: Date;
};

type Row = {
  id: string;
  direction: RequestDirection;
  resource_id: string;
  kind: BookingKind;
  from_at: Date;
  to_at: Date;
  for_member: string | null;
  for_space: string | null;
  requester_node_id: string;
  owner_node_id: string | null;
  status: RequestStatus;
  reason: string | null;
  reason_code: string | null;
  booking_id: string | null;
  loan_status: LoanStatus | null;
  holder_space_id: string | null;
  checked_out_at: Date | null;
  returned_at: Date | null;
  decided_at: Date | null;
  cancel_requested: boolean;
  created_at: Date;
  updated_at: Date;
};

const COLUMNS = `id, direction, resource_id, kind, lower(during) AS from_at, upper(during) AS to_at,
  for_member, for_space, requester_node_id, owner_node_id, status, reason, reason_code,
  booking_id, loan_status, holder_space_id, checked_out_at, returned_at, decided_at, cancel_requested,
  created_at, updated_at`;

const dateOrNull = (d: Date | null) => (d === null ? null : new Date(d));

function toRecord(row: Row): BookingRequestRecord {
  return {
    id: row.id,
    direction: row.direction,
    resourceId: row.resource_id,
    kind: row.kind,
    from: new Date(row.from_at),
    to: new Date(row.to_at),
    forMember: row.for_member,
    forSpace: row.for_space,
    requesterNodeId: row.requester_node_id,
    ownerNodeId: row.owner_node_id,
    status: row.status,
    reason: row.reason,
    reasonCode: row.reason_code,
    bookingId: row.booking_id,
    loan:
      row.loan_status === null || row.holder_space_id === null
        ? null
        : {
            status: row.loan_status,
            holderSpaceId: row.holder_space_id,
            checkedOutAt: dateOrNull(row.checked_out_at),
            returnedAt: dateOrNull(row.returned_at),
          },
    decidedAt: dateOrNull(row.decided_at),
    cancelRequested: row.cancel_requested,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** What an outgoing request's BOOKING_REQUEST events carry. */
export function requestPayloadOf(r: BookingRequestRecord): BookingRequestPayload {
  return {
    resourceId: r.resourceId,
    kind: r.kind,
    startsAt: r.from.toISOString(),
    endsAt: r.to.toISOString(),
    forMemberId: r.forMember,
    forSpaceId: r.forSpace,
    cancelled: r.status === "CANCELLED",
  };
}

/** What an incoming request's BOOKING_DECISION events carry (never for a PENDING one). */
export function decisionPayloadOf(r: BookingRequestRecord): BookingDecisionPayload {
  if (r.status === "PENDING") throw new Error(`request ${r.id} is not decided`);
  return {
    resourceId: r.resourceId,
    status: r.status,
    reason: r.reason,
    reasonCode: r.reasonCode,
    bookingId: r.bookingId,
    loan:
      r.loan === null
        ? null
        : {
            status: r.loan.status,
            holderSpaceId: r.loan.holderSpaceId,
            checkedOutAt: r.loan.checkedOutAt?.toISOString() ?? null,
            returnedAt: r.loan.returnedAt?.toISOString() ?? null,
          },
    decidedAt: (r.decidedAt ?? new Date()).toISOString(),
  };
}

/** The only file that reads and writes `booking_request`. */
export const bookingRequestRepository = {
  async find(db: SqlSession, id: string): Promise<BookingRequestRecord | undefined> {
    const rows = await db.query<Row>(`SELECT ${COLUMNS} FROM booking_request WHERE id = $1`, [id]);
    return rows[0] && toRecord(rows[0]);
  },

  /** The request, its row locked until the transaction ends. */
  async findForUpdate(db: SqlSession, id: string): Promise<BookingRequestRecord | undefined> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM booking_request WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return rows[0] && toRecord(rows[0]);
  },

  async findByBooking(
    db: SqlSession,
    bookingId: string,
  ): Promise<BookingRequestRecord | undefined> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM booking_request WHERE booking_id = $1 AND direction = 'INCOMING'`,
      [bookingId],
    );
    return rows[0] && toRecord(rows[0]);
  },

  async list(
    db: SqlSession,
    filter: { direction: RequestDirection | null; status: RequestStatus | null },
  ): Promise<BookingRequestRecord[]> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM booking_request
       WHERE ($1::text IS NULL OR direction = $1) AND ($2::text IS NULL OR status = $2)
       ORDER BY created_at, id`,
      [filter.direction, filter.status],
    );
    return rows.map(toRecord);
  },

  /**
   * The automatic decider's queue, oldest first (ids): incoming PENDING requests of this node's
   * resources the rules decide (not approvalRequired; or needing no person: answered by a
   * booking handed over here, or for a LOCAL or RETIRED resource, which a person could only
   * decline), and CONFIRMED ones the requester withdrew.
   */
  async awaitingOwner(db: SqlSession): Promise<string[]> {
    // booking_request_awaiting_idx (0007) covers the WHERE on booking_request; the join keeps
    // requests of this node's resources, and leaves those waiting for a person to the team
    // (booking_request_id_idx answers the handover lookup).
    const rows = await db.query<{ id: string }>(
      `SELECT q.id FROM booking_request q
       JOIN resource r ON r.id = q.resource_id AND r.owned
       WHERE q.direction = 'INCOMING' AND (q.status = 'PENDING' OR q.cancel_requested)
         AND (q.cancel_requested OR NOT r.approval_required
           OR r.sharing_scope = 'LOCAL' OR r.status = 'RETIRED'
           OR EXISTS (SELECT 1 FROM booking b WHERE b.request_id = q.id AND b.status = 'CONFIRMED'))
       ORDER BY q.created_at, q.id`,
    );
    return rows.map((r) => r.id);
  },

  async insert(
    db: SqlSession,
    r: Pick<
      BookingRequestRecord,
      | "id"
      | "direction"
      | "resourceId"
      | "kind"
      | "from"
      | "to"
      | "forMember"
      | "forSpace"
      | "requesterNodeId"
      | "ownerNodeId"
      | "status"
    > & {
      /** When the requester made it (an incoming request: its event's time); default now. */
      createdAt?: Date;
    },
  ): Promise<BookingRequestRecord> {
    const rows = await db.query<Row>(
      `INSERT INTO booking_request (id, direction, resource_id, kind, during, for_member,
         for_space, requester_node_id, owner_node_id, status, created_at)
       VALUES ($1, $2, $3, $4, tstzrange($5::timestamptz, $6::timestamptz, '[)'), $7, $8, $9, $10,
         $11, coalesce($12::timestamptz, now()))
       RETURNING ${COLUMNS}`,
      [
        r.id,
        r.direction,
        r.resourceId,
        r.kind,
        r.from.toISOString(),
        r.to.toISOString(),
        r.forMember,
        r.forSpace,
        r.requesterNodeId,
        r.ownerNodeId,
        r.status,
        r.createdAt?.toISOString() ?? null,
      ],
    );
    return toRecord(rows[0] as Row);
  },

  /** Writes a decision (or a cancellation) on a request. */
  async decide(db: SqlSession, id: string, d: DecisionFields): Promise<BookingRequestRecord> {
    const rows = await db.query<Row>(
      `UPDATE booking_request SET status = $2, reason = $3, reason_code = $4, booking_id = $5,
         loan_status = $6, holder_space_id = $7, checked_out_at = $8, returned_at = $9,
         decided_at = $10, cancel_requested = FALSE, updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [
        id,
        d.status,
        d.reason,
        d.reasonCode,
        d.bookingId,
        d.loan?.status ?? null,
        d.loan?.holderSpaceId ?? null,
        d.loan?.checkedOutAt?.toISOString() ?? null,
        d.loan?.returnedAt?.toISOString() ?? null,
        d.decidedAt.toISOString(),
      ],
    );
    return toRecord(rows[0] as Row);
  },

  /** PENDING or CONFIRMED → CANCELLED by the requester (its own outgoing request). */
  async cancel(db: SqlSession, id: string): Promise<BookingRequestRecord> {
    const rows = await db.query<Row>(
      `UPDATE booking_request SET status = 'CANCELLED', updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    );
    return toRecord(rows[0] as Row);
  },

  /**
   * The resource's owner is now `ownerNodeId` (it re-enrolled: a new node id): this node's
   * outgoing requests for it expect their decisions from that node.
   */
  async followOwner(db: SqlSession, resourceId: string, ownerNodeId: string): Promise<number> {
    const rows = await db.query(
      `UPDATE booking_request SET owner_node_id = $2, updated_at = now()
       WHERE resource_id = $1 AND direction = 'OUTGOING' AND owner_node_id IS DISTINCT FROM $2
       RETURNING id`,
      [resourceId, ownerNodeId],
    );
    return rows.length;
  },

  /** INCOMING, CONFIRMED: the requester withdrew it; the owner answers after the pull. */
  async markCancelRequested(db: SqlSession, id: string): Promise<BookingRequestRecord> {
    const rows = await db.query<Row>(
      `UPDATE booking_request SET cancel_requested = TRUE, updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    );
    return toRecord(rows[0] as Row);
  },
};
