import type {
  AvailabilityWindow,
  BookingKind,
  BookingPayload,
  Closure,
  LoanStatus,
  ResourceCategory,
  ResourcePayload,
  ResourceStatus,
  SharingScope,
} from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";

export const BOOKING_STATUSES = ["CONFIRMED", "CANCELLED"] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

/** What a resource is and its booking rules (durations in minutes): its replicated state. */
export type ResourceFields = ResourcePayload;

export type ResourceRecord = ResourceFields & {
  id: string;
  /** True for this node's own resources; false for replicas of other nodes' ones. */
  owned: boolean;
  /** The node owning a replica; null for this node's own. */
  ownerNodeId: string | null;
  createdAt: Date;
  updatedAt: Date;
};

/** A loan's state at the owner (null for a plain booking). */
export type LoanState = {
  status: LoanStatus;
  holderSpaceId: string;
  checkedOutAt: Date | null;
  returnedAt: Date | null;
};

export type BookingRecord = {
  id: string;
  resourceId: string;
  kind: BookingKind;
  from: Date;
  to: Date;
  forMember: string | null;
  forSpace: string | null;
  status: BookingStatus;
  /** The incoming booking request it answers, or null for a local booking. */
  requestId: string | null;
  loan: LoanState | null;
  createdAt: Date;
  cancelledAt: Date | null;
};

/** Another node's booking of one of its resources, as replicated here (occupancy only). */
export type BookingReplica = {
  id: string;
  resourceId: string;
  kind: BookingKind;
  from: Date;
  to: Date;
  status: BookingStatus;
};

type ResourceRow = {
  id: string;
  space_id: string;
  name: string;
  category: ResourceCategory;
  description: string | null;
  sharing_scope: SharingScope;
  required_credential: string | null;
  min_minutes: number;
  max_minutes: number;
  lead_minutes: number;
  cancel_deadline_minutes: number;
  status: ResourceStatus;
  movable: boolean;
  approval_required: boolean;
  windows: AvailabilityWindow[] | null;
  closures: Closure[] | null;
  owned: boolean;
  owner_node_id: string | null;
  created_at: Date;
  updated_at: Date;
};

type BookingRow = {
  id: string;
  resource_id: string;
  kind: BookingKind;
  from_at: Date;
  to_at: Date;
  booked_for_member: string | null;
  booked_for_space: string | null;
  status: BookingStatus;
  request_id: string | null;
  loan_status: LoanStatus | null;
  holder_space_id: string | null;
  checked_out_at: Date | null;
  returned_at: Date | null;
  created_at: Date;
  cancelled_at: Date | null;
};

const RESOURCE_COLUMNS = `id, space_id, name, category, description, sharing_scope,
  required_credential, min_minutes, max_minutes, lead_minutes, cancel_deadline_minutes, status,
  movable, approval_required, windows, closures, owned, owner_node_id, created_at, updated_at`;

const BOOKING_COLUMNS = `id, resource_id, kind, lower(during) AS from_at, upper(during) AS to_at,
  booked_for_member, booked_for_space, status, request_id, loan_status, holder_space_id,
  checked_out_at, returned_at, created_at, cancelled_at`;

/** The SQLSTATE of an exclusion constraint violation: an overlapping CONFIRMED booking. */
export const EXCLUSION_VIOLATION = "23P01";

const dateOrNull = (d: Date | null) => (d === null ? null : new Date(d));

function toResource(row: ResourceRow): ResourceRecord {
  return {
    id: row.id,
    spaceId: row.space_id,
    name: row.name,
    category: row.category,
    description: row.description,
    sharingScope: row.sharing_scope,
    requiredCredential: row.required_credential,
    minMinutes: row.min_minutes,
    maxMinutes: row.max_minutes,
    leadMinutes: row.lead_minutes,
    cancelDeadlineMinutes: row.cancel_deadline_minutes,
    status: row.status,
    movable: row.movable,
    approvalRequired: row.approval_required,
    windows: row.windows ?? [],
    closures: row.closures ?? [],
    owned: row.owned,
    ownerNodeId: row.owner_node_id,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toBooking(row: BookingRow): BookingRecord {
  return {
    id: row.id,
    resourceId: row.resource_id,
    kind: row.kind,
    from: new Date(row.from_at),
    to: new Date(row.to_at),
    forMember: row.booked_for_member,
    forSpace: row.booked_for_space,
    status: row.status,
    requestId: row.request_id,
    loan:
      row.loan_status === null || row.holder_space_id === null
        ? null
        : {
            status: row.loan_status,
            holderSpaceId: row.holder_space_id,
            checkedOutAt: dateOrNull(row.checked_out_at),
            returnedAt: dateOrNull(row.returned_at),
          },
    createdAt: new Date(row.created_at),
    cancelledAt: dateOrNull(row.cancelled_at),
  };
}

/** The replicated part of a booking (no person): what its BOOKING events carry. */
export function bookingPayloadOf(b: BookingRecord): BookingPayload {
  return {
    resourceId: b.resourceId,
    kind: b.kind,
    startsAt: b.from.toISOString(),
    endsAt: b.to.toISOString(),
    status: b.status,
    requestId: b.requestId,
  };
}

function resourceParams(fields: ResourceFields): unknown[] {
  return [
    fields.spaceId,
    fields.name,
    fields.category,
    fields.description,
    fields.sharingScope,
    fields.requiredCredential,
    fields.minMinutes,
    fields.maxMinutes,
    fields.leadMinutes,
    fields.cancelDeadlineMinutes,
    fields.status,
    fields.movable,
    JSON.stringify(fields.windows),
    JSON.stringify(fields.closures),
    fields.approvalRequired,
  ];
}

/** The only file that reads and writes `resource`, `booking` and `booking_replica`. */
export const resourceRepository = {
  async find(db: SqlSession, id: string): Promise<ResourceRecord | undefined> {
    const rows = await db.query<ResourceRow>(
      `SELECT ${RESOURCE_COLUMNS} FROM resource WHERE id = $1`,
      [id],
    );
    return rows[0] && toResource(rows[0]);
  },

  /** The resource, its row locked against changes until the transaction ends. */
  async findForBooking(db: SqlSession, id: string): Promise<ResourceRecord | undefined> {
    const rows = await db.query<ResourceRow>(
      `SELECT ${RESOURCE_COLUMNS} FROM resource WHERE id = $1 FOR SHARE`,
      [id],
    );
    return rows[0] && toResource(rows[0]);
  },

  /** This node's own resources hosted at a space, by name. */
  async ofSpace(db: SqlSession, spaceId: string): Promise<ResourceRecord[]> {
    const rows = await db.query<ResourceRow>(
      `SELECT ${RESOURCE_COLUMNS} FROM resource WHERE space_id = $1 AND owned
       ORDER BY name, id`,
      [spaceId],
    );
    return rows.map(toResource);
  },

  /**
   * Replicas of other nodes' resources, by name, among `scopes`. Never a LOCAL one: another
   * network's LOCAL resource is not for this node to see (the pull does not store them).
   */
  async replicas(
    db: SqlSession,
    filter: { category: ResourceCategory | null; scopes: SharingScope[] },
  ): Promise<ResourceRecord[]> {
    const rows = await db.query<ResourceRow>(
      `SELECT ${RESOURCE_COLUMNS} FROM resource
       WHERE NOT owned AND ($1::text IS NULL OR category = $1)
         AND sharing_scope = ANY($2::text[]) AND sharing_scope <> 'LOCAL'
       ORDER BY name, id`,
      [filter.category, filter.scopes],
    );
    return rows.map(toResource);
  },

  async insert(db: SqlSession, id: string, fields: ResourceFields): Promise<ResourceRecord> {
    const rows = await db.query<ResourceRow>(
      `INSERT INTO resource (id, space_id, name, category, description, sharing_scope,
         required_credential, min_minutes, max_minutes, lead_minutes, cancel_deadline_minutes,
         status, movable, windows, closures, approval_required, owned)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15::jsonb,
         $16, TRUE)
       RETURNING ${RESOURCE_COLUMNS}`,
      [id, ...resourceParams(fields)],
    );
    return toResource(rows[0] as ResourceRow);
  },

  /** Changes one of this node's own resources (a replica is never changed here). */
  async update(db: SqlSession, id: string, fields: ResourceFields): Promise<ResourceRecord> {
    const rows = await db.query<ResourceRow>(
      `UPDATE resource SET space_id = $2, name = $3, category = $4, description = $5,
         sharing_scope = $6, required_credential = $7, min_minutes = $8, max_minutes = $9,
         lead_minutes = $10, cancel_deadline_minutes = $11, status = $12, movable = $13,
         windows = $14::jsonb, closures = $15::jsonb, approval_required = $16, updated_at = now()
       WHERE id = $1 AND owned RETURNING ${RESOURCE_COLUMNS}`,
      [id, ...resourceParams(fields)],
    );
    return toResource(rows[0] as ResourceRow);
  },

  /**
   * A RESOURCE event handing one of this fabrique's resources over to this node (re-enrolment:
   * the hub sends it with no origin, to this node). It becomes owned here; one this node owns
   * already is kept as it is. Its replicated occupancy, if any, is dropped: its bookings come
   * as handover BOOKING events into `booking`.
   */
  async adoptHandover(db: SqlSession, id: string, fields: ResourceFields): Promise<boolean> {
    const rows = await db.query(
      `INSERT INTO resource (id, space_id, name, category, description, sharing_scope,
         required_credential, min_minutes, max_minutes, lead_minutes, cancel_deadline_minutes,
         status, movable, windows, closures, approval_required, owned, owner_node_id, published)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15::jsonb,
         $16, TRUE, NULL, TRUE)
       ON CONFLICT (id) DO UPDATE SET space_id = EXCLUDED.space_id, name = EXCLUDED.name,
         category = EXCLUDED.category, description = EXCLUDED.description,
         sharing_scope = EXCLUDED.sharing_scope, required_credential = EXCLUDED.required_credential,
         min_minutes = EXCLUDED.min_minutes, max_minutes = EXCLUDED.max_minutes,
         lead_minutes = EXCLUDED.lead_minutes,
         cancel_deadline_minutes = EXCLUDED.cancel_deadline_minutes, status = EXCLUDED.status,
         movable = EXCLUDED.movable, windows = EXCLUDED.windows, closures = EXCLUDED.closures,
         approval_required = EXCLUDED.approval_required, owned = TRUE, owner_node_id = NULL,
         published = TRUE, updated_at = now()
       WHERE NOT resource.owned
       RETURNING id`,
      [id, ...resourceParams(fields)],
    );
    if (rows.length === 0) return false;
    await db.query("DELETE FROM booking_replica WHERE resource_id = $1", [id]);
    return true;
  },

  /**
   * Another network's resource turned LOCAL (or arrived LOCAL): its replica and replicated
   * occupancy are deleted. This node's own resources are kept. Whether a replica was deleted.
   */
  async deleteReplica(db: SqlSession, id: string): Promise<boolean> {
    const rows = await db.query("DELETE FROM resource WHERE id = $1 AND NOT owned RETURNING id", [
      id,
    ]);
    await db.query(
      `DELETE FROM booking_replica WHERE resource_id = $1
         AND NOT EXISTS (SELECT 1 FROM resource WHERE id = $1 AND owned)`,
      [id],
    );
    return rows.length > 0;
  },

  /** This node's resources not sent yet (created before resources travelled), by id. */
  async unpublished(db: SqlSession): Promise<string[]> {
    const rows = await db.query<{ id: string }>(
      "SELECT id FROM resource WHERE owned AND NOT published ORDER BY id",
    );
    return rows.map((r) => r.id);
  },

  /** The resource if it is still owned and unpublished, its row locked until the end. */
  async lockUnpublished(db: SqlSession, id: string): Promise<ResourceRecord | undefined> {
    const rows = await db.query<ResourceRow>(
      `SELECT ${RESOURCE_COLUMNS} FROM resource WHERE id = $1 AND owned AND NOT published
       FOR UPDATE`,
      [id],
    );
    return rows[0] && toResource(rows[0]);
  },

  async markPublished(db: SqlSession, id: string): Promise<void> {
    await db.query("UPDATE resource SET published = TRUE WHERE id = $1", [id]);
  },

  /** A resource's CONFIRMED bookings and loans ending after `after`, by start. */
  async confirmedEndingAfter(
    db: SqlSession,
    resourceId: string,
    after: Date,
  ): Promise<BookingRecord[]> {
    const rows = await db.query<BookingRow>(
      `SELECT ${BOOKING_COLUMNS} FROM booking
       WHERE resource_id = $1 AND status = 'CONFIRMED' AND upper(during) > $2::timestamptz
       ORDER BY lower(during), id`,
      [resourceId, after.toISOString()],
    );
    return rows.map(toBooking);
  },

  /**
   * A BOOKING event handing over a booking of a resource this node now owns (re-enrolment).
   * Who booked stayed with the former node (a BOOKING event names no person): the slot is held
   * for the resource's home space. Kept as it is when this node has it already; throws the
   * driver's 23P01 (EXCLUSION_VIOLATION) when the slot overlaps a CONFIRMED booking here.
   */
  async adoptHandoverBooking(
    db: SqlSession,
    id: string,
    homeSpaceId: string,
    state: BookingPayload,
  ): Promise<boolean> {
    const loan = state.kind === "LOAN";
    const rows = await db.query(
      `INSERT INTO booking (id, resource_id, kind, during, booked_for_member, booked_for_space,
         status, request_id, loan_status, holder_space_id, cancelled_at)
       VALUES ($1, $2, $3, tstzrange($4::timestamptz, $5::timestamptz, '[)'), NULL, $6, $7, $8,
         $9, $10, CASE WHEN $7 = 'CANCELLED' THEN now() END)
       ON CONFLICT (id) DO NOTHING
       RETURNING id`,
      [
        id,
        state.resourceId,
        state.kind,
        state.startsAt,
        state.endsAt,
        homeSpaceId,
        state.status,
        state.requestId,
        loan ? "CONFIRMED" : null,
        loan ? homeSpaceId : null,
      ],
    );
    return rows.length > 0;
  },

  /** A replica from another node's RESOURCE event; this node's own resources are kept. */
  async upsertReplica(
    db: SqlSession,
    id: string,
    ownerNodeId: string | null,
    fields: ResourceFields,
  ): Promise<boolean> {
    const rows = await db.query(
      `INSERT INTO resource (id, space_id, name, category, description, sharing_scope,
         required_credential, min_minutes, max_minutes, lead_minutes, cancel_deadline_minutes,
         status, movable, windows, closures, approval_required, owned, owner_node_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15::jsonb,
         $16, FALSE, $17)
       ON CONFLICT (id) DO UPDATE SET space_id = EXCLUDED.space_id, name = EXCLUDED.name,
         category = EXCLUDED.category, description = EXCLUDED.description,
         sharing_scope = EXCLUDED.sharing_scope, required_credential = EXCLUDED.required_credential,
         min_minutes = EXCLUDED.min_minutes, max_minutes = EXCLUDED.max_minutes,
         lead_minutes = EXCLUDED.lead_minutes,
         cancel_deadline_minutes = EXCLUDED.cancel_deadline_minutes, status = EXCLUDED.status,
         movable = EXCLUDED.movable, windows = EXCLUDED.windows, closures = EXCLUDED.closures,
         approval_required = EXCLUDED.approval_required, owner_node_id = EXCLUDED.owner_node_id,
         updated_at = now()
       WHERE NOT resource.owned
       RETURNING id`,
      [id, ...resourceParams(fields), ownerNodeId],
    );
    if (rows.length === 0) return false;
    if (ownerNodeId !== null) {
      // Its owner re-enrolled (a new node id): the occupancy is the new owner's too.
      await db.query(
        `UPDATE booking_replica SET owner_node_id = $2
         WHERE resource_id = $1 AND owner_node_id IS DISTINCT FROM $2`,
        [id, ownerNodeId],
      );
    }
    return true;
  },

  /**
   * Inserts a CONFIRMED booking (or loan) for [from, to). Throws the driver's error with
   * SQLSTATE 23P01 (EXCLUSION_VIOLATION) when it overlaps another CONFIRMED one of the resource.
   */
  async insertBooking(
    db: SqlSession,
    booking: {
      id: string;
      resourceId: string;
      kind: BookingKind;
      from: Date;
      to: Date;
      forMember: string | null;
      forSpace: string | null;
      requestId: string | null;
      /** A loan's holder until it is checked out: the resource's home space. */
      homeSpaceId: string;
    },
  ): Promise<BookingRecord> {
    const loan = booking.kind === "LOAN";
    const rows = await db.query<BookingRow>(
      `INSERT INTO booking (id, resource_id, kind, during, booked_for_member, booked_for_space,
         status, request_id, loan_status, holder_space_id)
       VALUES ($1, $2, $3, tstzrange($4::timestamptz, $5::timestamptz, '[)'), $6, $7, 'CONFIRMED',
         $8, $9, $10)
       RETURNING ${BOOKING_COLUMNS}`,
      [
        booking.id,
        booking.resourceId,
        booking.kind,
        booking.from.toISOString(),
        booking.to.toISOString(),
        booking.forMember,
        booking.forSpace,
        booking.requestId,
        loan ? "CONFIRMED" : null,
        loan ? booking.homeSpaceId : null,
      ],
    );
    return toBooking(rows[0] as BookingRow);
  },

  /** The CONFIRMED booking or loan that answers an incoming request, if this node holds one. */
  async confirmedOfRequest(db: SqlSession, requestId: string): Promise<BookingRecord | undefined> {
    const rows = await db.query<BookingRow>(
      `SELECT ${BOOKING_COLUMNS} FROM booking WHERE request_id = $1 AND status = 'CONFIRMED'`,
      [requestId],
    );
    return rows[0] && toBooking(rows[0]);
  },

  async findBooking(db: SqlSession, id: string): Promise<BookingRecord | undefined> {
    const rows = await db.query<BookingRow>(
      `SELECT ${BOOKING_COLUMNS} FROM booking WHERE id = $1`,
      [id],
    );
    return rows[0] && toBooking(rows[0]);
  },

  /** The booking row, locked until the transaction ends. */
  async findBookingForUpdate(db: SqlSession, id: string): Promise<BookingRecord | undefined> {
    const rows = await db.query<BookingRow>(
      `SELECT ${BOOKING_COLUMNS} FROM booking WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return rows[0] && toBooking(rows[0]);
  },

  /** A resource's bookings and loans (every status), by start; `kind` narrows. */
  async bookingsOf(
    db: SqlSession,
    resourceId: string,
    kind: BookingKind | null = null,
  ): Promise<BookingRecord[]> {
    const rows = await db.query<BookingRow>(
      `SELECT ${BOOKING_COLUMNS} FROM booking
       WHERE resource_id = $1 AND ($2::text IS NULL OR kind = $2)
       ORDER BY lower(during), id`,
      [resourceId, kind],
    );
    return rows.map(toBooking);
  },

  /** CONFIRMED bookings and loans of a resource overlapping [from, to). */
  async confirmedOverlapping(
    db: SqlSession,
    resourceId: string,
    from: Date,
    to: Date,
  ): Promise<BookingRecord[]> {
    const rows = await db.query<BookingRow>(
      `SELECT ${BOOKING_COLUMNS} FROM booking
       WHERE resource_id = $1 AND status = 'CONFIRMED'
         AND during && tstzrange($2::timestamptz, $3::timestamptz, '[)')
       ORDER BY lower(during), id`,
      [resourceId, from.toISOString(), to.toISOString()],
    );
    return rows.map(toBooking);
  },

  /** The resource's loans handed over and not back yet (CHECKED_OUT), by start. */
  async checkedOutLoans(db: SqlSession, resourceId: string): Promise<BookingRecord[]> {
    const rows = await db.query<BookingRow>(
      `SELECT ${BOOKING_COLUMNS} FROM booking
       WHERE resource_id = $1 AND kind = 'LOAN' AND status = 'CONFIRMED'
         AND loan_status = 'CHECKED_OUT'
       ORDER BY lower(during), id`,
      [resourceId],
    );
    return rows.map(toBooking);
  },

  /** Cancels a CONFIRMED booking; undefined when it is not (or no longer) CONFIRMED. */
  async cancelBooking(db: SqlSession, id: string): Promise<BookingRecord | undefined> {
    const rows = await db.query<BookingRow>(
      `UPDATE booking SET status = 'CANCELLED', cancelled_at = now()
       WHERE id = $1 AND status = 'CONFIRMED' RETURNING ${BOOKING_COLUMNS}`,
      [id],
    );
    return rows[0] && toBooking(rows[0]);
  },

  /** CONFIRMED → CHECKED_OUT: the borrowing space holds it now. */
  async checkOutLoan(db: SqlSession, id: string, at: Date): Promise<BookingRecord> {
    const rows = await db.query<BookingRow>(
      `UPDATE booking SET loan_status = 'CHECKED_OUT', holder_space_id = booked_for_space,
         checked_out_at = $2
       WHERE id = $1 RETURNING ${BOOKING_COLUMNS}`,
      [id, at.toISOString()],
    );
    return toBooking(rows[0] as BookingRow);
  },

  /**
   * CHECKED_OUT → RETURNED: home holds it again. Back before the end of its period, the loan
   * keeps [start, returned) only and the rest of the slot is free again.
   */
  async checkInLoan(
    db: SqlSession,
    id: string,
    homeSpaceId: string,
    at: Date,
  ): Promise<BookingRecord> {
    const rows = await db.query<BookingRow>(
      `UPDATE booking SET loan_status = 'RETURNED', holder_space_id = $2, returned_at = $3,
         during = CASE WHEN lower(during) < $3::timestamptz AND $3::timestamptz < upper(during)
                       THEN tstzrange(lower(during), $3::timestamptz, '[)') ELSE during END
       WHERE id = $1 RETURNING ${BOOKING_COLUMNS}`,
      [id, homeSpaceId, at.toISOString()],
    );
    return toBooking(rows[0] as BookingRow);
  },

  /** Another node's BOOKING event: its occupancy, upserted (never refused, never blocking). */
  async upsertReplicaBooking(
    db: SqlSession,
    id: string,
    ownerNodeId: string | null,
    state: BookingPayload,
  ): Promise<void> {
    await db.query(
      `INSERT INTO booking_replica (id, resource_id, owner_node_id, kind, during, status, request_id)
       VALUES ($1, $2, $3, $4, tstzrange($5::timestamptz, $6::timestamptz, '[)'), $7, $8)
       ON CONFLICT (id) DO UPDATE SET resource_id = EXCLUDED.resource_id,
         owner_node_id = EXCLUDED.owner_node_id, kind = EXCLUDED.kind, during = EXCLUDED.during,
         status = EXCLUDED.status, request_id = EXCLUDED.request_id, updated_at = now()`,
      [
        id,
        state.resourceId,
        ownerNodeId,
        state.kind,
        state.startsAt,
        state.endsAt,
        state.status,
        state.requestId,
      ],
    );
  },

  async deleteReplicaBooking(db: SqlSession, id: string): Promise<string | undefined> {
    const rows = await db.query<{ resource_id: string }>(
      "DELETE FROM booking_replica WHERE id = $1 RETURNING resource_id",
      [id],
    );
    return rows[0]?.resource_id;
  },

  /** The occupied slots of a resource overlapping [from, to): its own CONFIRMED bookings and
   * loans, or the replicated ones of another node's resource. */
  async busy(
    db: SqlSession,
    resource: Pick<ResourceRecord, "id" | "owned">,
    from: Date,
    to: Date,
  ): Promise<{ from: Date; to: Date }[]> {
    const table = resource.owned ? "booking" : "booking_replica";
    const rows = await db.query<{ from_at: Date; to_at: Date }>(
      `SELECT lower(during) AS from_at, upper(during) AS to_at FROM ${table}
       WHERE resource_id = $1 AND status = 'CONFIRMED'
         AND during && tstzrange($2::timestamptz, $3::timestamptz, '[)')
       ORDER BY lower(during)`,
      [resource.id, from.toISOString(), to.toISOString()],
    );
    return rows.map((r) => ({ from: new Date(r.from_at), to: new Date(r.to_at) }));
  },

  async replicaBookingsOf(db: SqlSession, resourceId: string): Promise<BookingReplica[]> {
    const rows = await db.query<{
      id: string;
      resource_id: string;
      kind: BookingKind;
      from_at: Date;
      to_at: Date;
      status: BookingStatus;
    }>(
      `SELECT id, resource_id, kind, lower(during) AS from_at, upper(during) AS to_at, status
       FROM booking_replica WHERE resource_id = $1 ORDER BY lower(during), id`,
      [resourceId],
    );
    return rows.map((r) => ({
      id: r.id,
      resourceId: r.resource_id,
      kind: r.kind,
      from: new Date(r.from_at),
      to: new Date(r.to_at),
      status: r.status,
    }));
  },
};
