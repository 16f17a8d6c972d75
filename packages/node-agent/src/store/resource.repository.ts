import type { SqlSession } from "@maillage/storage";

export const RESOURCE_CATEGORIES = ["MACHINE", "ROOM", "VEHICLE", "KIT", "DESK", "OTHER"] as const;
export type ResourceCategory = (typeof RESOURCE_CATEGORIES)[number];
export const SHARING_SCOPES = ["LOCAL", "NETWORK", "NATIONAL"] as const;
export type SharingScope = (typeof SHARING_SCOPES)[number];
export const RESOURCE_STATUSES = ["AVAILABLE", "MAINTENANCE", "RETIRED"] as const;
export type ResourceStatus = (typeof RESOURCE_STATUSES)[number];
export const BOOKING_STATUSES = ["CONFIRMED", "CANCELLED"] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

/**
 * A weekly availability window: `rrule` in the subset FREQ=WEEKLY;BYDAY=MO,TU,… (validated by
 * the service), open from `opens` to `closes` (HH:MM, Europe/Paris wall clock) on those days.
 */
export type AvailabilityWindow = { rrule: string; opens: string; closes: string };
/** Days (Europe/Paris dates YYYY-MM-DD, both included) when the resource is closed. */
export type Closure = { from: string; to: string };

/** What a resource is and its booking rules (durations in minutes). */
export type ResourceFields = {
  spaceId: string;
  name: string;
  category: ResourceCategory;
  description: string | null;
  sharingScope: SharingScope;
  requiredCredential: string | null;
  minMinutes: number;
  maxMinutes: number;
  leadMinutes: number;
  cancelDeadlineMinutes: number;
  status: ResourceStatus;
  movable: boolean;
  /** When it may be booked; none: any time. */
  windows: AvailabilityWindow[];
  closures: Closure[];
};

export type ResourceRecord = ResourceFields & { id: string; createdAt: Date; updatedAt: Date };

export type BookingRecord = {
  id: string;
  resourceId: string;
  from: Date;
  to: Date;
  forMember: string | null;
  forSpace: string | null;
  status: BookingStatus;
  createdAt: Date;
  cancelledAt: Date | null;
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
  windows: AvailabilityWindow[] | null;
  closures: Closure[] | null;
  created_at: Date;
  updated_at: Date;
};

type BookingRow = {
  id: string;
  resource_id: string;
  from_at: Date;
  to_at: Date;
  booked_for_member: string | null;
  booked_for_space: string | null;
  status: BookingStatus;
  created_at: Date;
  cancelled_at: Date | null;
};

const RESOURCE_COLUMNS = `id, space_id, name, category, description, sharing_scope,
  required_credential, min_minutes, max_minutes, lead_minutes, cancel_deadline_minutes, status,
  movable, windows, closures, created_at, updated_at`;

const BOOKING_COLUMNS = `id, resource_id, lower(during) AS from_at, upper(during) AS to_at,
  booked_for_member, booked_for_space, status, created_at, cancelled_at`;

/** The SQLSTATE of an exclusion constraint violation: an overlapping CONFIRMED booking. */
export const EXCLUSION_VIOLATION = "23P01";

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
    windows: row.windows ?? [],
    closures: row.closures ?? [],
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toBooking(row: BookingRow): BookingRecord {
  return {
    id: row.id,
    resourceId: row.resource_id,
    from: new Date(row.from_at),
    to: new Date(row.to_at),
    forMember: row.booked_for_member,
    forSpace: row.booked_for_space,
    status: row.status,
    createdAt: new Date(row.created_at),
    cancelledAt: row.cancelled_at === null ? null : new Date(row.cancelled_at),
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
  ];
}

/** The only file that reads and writes `resource` and `booking`. */
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

  async ofSpace(db: SqlSession, spaceId: string): Promise<ResourceRecord[]> {
    const rows = await db.query<ResourceRow>(
      `SELECT ${RESOURCE_COLUMNS} FROM resource WHERE space_id = $1 ORDER BY name, id`,
      [spaceId],
    );
    return rows.map(toResource);
  },

  async insert(db: SqlSession, id: string, fields: ResourceFields): Promise<ResourceRecord> {
    const rows = await db.query<ResourceRow>(
      `INSERT INTO resource (id, space_id, name, category, description, sharing_scope,
         required_credential, min_minutes, max_minutes, lead_minutes, cancel_deadline_minutes,
         status, movable, windows, closures)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15::jsonb)
       RETURNING ${RESOURCE_COLUMNS}`,
      [id, ...resourceParams(fields)],
    );
    return toResource(rows[0] as ResourceRow);
  },

  async update(db: SqlSession, id: string, fields: ResourceFields): Promise<ResourceRecord> {
    const rows = await db.query<ResourceRow>(
      `UPDATE resource SET space_id = $2, name = $3, category = $4, description = $5,
         sharing_scope = $6, required_credential = $7, min_minutes = $8, max_minutes = $9,
         lead_minutes = $10, cancel_deadline_minutes = $11, status = $12, movable = $13,
         windows = $14::jsonb, closures = $15::jsonb, updated_at = now()
       WHERE id = $1 RETURNING ${RESOURCE_COLUMNS}`,
      [id, ...resourceParams(fields)],
    );
    return toResource(rows[0] as ResourceRow);
  },

  /**
   * Inserts a CONFIRMED booking for [from, to). Throws the driver's error with SQLSTATE 23P01
   * (EXCLUSION_VIOLATION) when it overlaps another CONFIRMED booking of the resource.
   */
  async insertBooking(
    db: SqlSession,
    booking: {
      id: string;
      resourceId: string;
      from: Date;
      to: Date;
      forMember: string | null;
      forSpace: string | null;
    },
  ): Promise<BookingRecord> {
    const rows = await db.query<BookingRow>(
      `INSERT INTO booking (id, resource_id, during, booked_for_member, booked_for_space, status)
       VALUES ($1, $2, tstzrange($3::timestamptz, $4::timestamptz, '[)'), $5, $6, 'CONFIRMED')
       RETURNING ${BOOKING_COLUMNS}`,
      [
        booking.id,
        booking.resourceId,
        booking.from.toISOString(),
        booking.to.toISOString(),
        booking.forMember,
        booking.forSpace,
      ],
    );
    return toBooking(rows[0] as BookingRow);
  },

  async findBooking(db: SqlSession, id: string): Promise<BookingRecord | undefined> {
    const rows = await db.query<BookingRow>(
      `SELECT ${BOOKING_COLUMNS} FROM booking WHERE id = $1`,
      [id],
    );
    return rows[0] && toBooking(rows[0]);
  },

  /** A resource's bookings (every status), by start. */
  async bookingsOf(db: SqlSession, resourceId: string): Promise<BookingRecord[]> {
    const rows = await db.query<BookingRow>(
      `SELECT ${BOOKING_COLUMNS} FROM booking WHERE resource_id = $1 ORDER BY lower(during), id`,
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
};
