import type { SqlSession } from "@maillage/storage";

export const CALENDAR_FEED_TARGETS = ["RESOURCE", "SPACE", "MEMBER"] as const;
export type CalendarFeedTarget = (typeof CALENDAR_FEED_TARGETS)[number];

/** A calendar feed as callers see it: never its secret, nor the secret's hash. */
export type CalendarFeedRecord = {
  id: string;
  target: CalendarFeedTarget;
  targetId: string;
  label: string | null;
  createdByRole: "FABRIQUE_ADMIN" | "SATELLITE" | "MEMBER";
  createdBySub: string;
  createdAt: Date;
  revokedAt: Date | null;
};

/** What rendering a feed needs: the feed, its secret's hash, and the names of its target. */
export type CalendarFeedForRender = CalendarFeedRecord & {
  tokenSha256: Uint8Array;
  /** RESOURCE: the resource's name; SPACE: the space's; null when unknown here. */
  targetName: string | null;
  /** RESOURCE: the space hosting it, and its name when stored here. */
  hostId: string | null;
  hostName: string | null;
};

/** A confirmed booking with the public names a calendar shows; no member is named. */
export type CalendarBooking = {
  id: string;
  from: Date;
  to: Date;
  createdAt: Date;
  resourceName: string;
  hostSpaceId: string;
  hostSpaceName: string | null;
  forMember: boolean;
  forSpace: string | null;
  forSpaceName: string | null;
};

/** Where a resource is hosted, for the rights of its feeds. */
export type ResourceHost = { id: string; spaceId: string };
/** A space as the feed rights see it. */
export type SpaceRef = { id: string; name: string; fabriqueId: string | null };

type FeedRow = {
  id: string;
  target: CalendarFeedTarget;
  target_id: string;
  label: string | null;
  created_by_role: CalendarFeedRecord["createdByRole"];
  created_by_sub: string;
  created_at: Date;
  revoked_at: Date | null;
};

type RenderRow = FeedRow & {
  token_sha256: Uint8Array;
  target_name: string | null;
  host_id: string | null;
  host_name: string | null;
};

type BookingRow = {
  id: string;
  from_at: Date;
  to_at: Date;
  created_at: Date;
  resource_name: string;
  host_space_id: string;
  host_space_name: string | null;
  for_member: boolean;
  booked_for_space: string | null;
  for_space_name: string | null;
};

const FEED_COLUMNS =
  "f.id, f.target, f.target_id, f.label, f.created_by_role, f.created_by_sub, f.created_at, f.revoked_at";

function toFeed(row: FeedRow): CalendarFeedRecord {
  return {
    id: row.id,
    target: row.target,
    targetId: row.target_id,
    label: row.label,
    createdByRole: row.created_by_role,
    createdBySub: row.created_by_sub,
    createdAt: new Date(row.created_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  };
}

function toBooking(row: BookingRow): CalendarBooking {
  return {
    id: row.id,
    from: new Date(row.from_at),
    to: new Date(row.to_at),
    createdAt: new Date(row.created_at),
    resourceName: row.resource_name,
    hostSpaceId: row.host_space_id,
    hostSpaceName: row.host_space_name,
    forMember: row.for_member,
    forSpace: row.booked_for_space,
    forSpaceName: row.for_space_name,
  };
}

// Every confirmed booking still running `since` or later, with the names a calendar shows. The
// member a booking is for is reduced to a boolean: its id never leaves this query.
const BOOKING_SELECT = `SELECT b.id, lower(b.during) AS from_at, upper(b.during) AS to_at,
    b.created_at, r.name AS resource_name, r.space_id AS host_space_id,
    hs.name AS host_space_name, b.booked_for_member IS NOT NULL AS for_member,
    b.booked_for_space, fs.name AS for_space_name
  FROM booking b
  JOIN resource r ON r.id = b.resource_id
  LEFT JOIN space hs ON hs.id = r.space_id
  LEFT JOIN space fs ON fs.id = b.booked_for_space`;

/**
 * The only file that reads and writes `calendar_feed`; it reads `booking`, `resource` and
 * `space` for the feeds' contents and rights (names and hosts only).
 */
export const calendarRepository = {
  async insert(
    db: SqlSession,
    feed: Omit<CalendarFeedRecord, "createdAt" | "revokedAt"> & { tokenSha256: Uint8Array },
  ): Promise<CalendarFeedRecord> {
    const rows = await db.query<FeedRow>(
      `INSERT INTO calendar_feed AS f (id, target, target_id, token_sha256, label, created_by_role,
         created_by_sub)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       RETURNING ${FEED_COLUMNS}`,
      [
        feed.id,
        feed.target,
        feed.targetId,
        feed.tokenSha256,
        feed.label,
        feed.createdByRole,
        feed.createdBySub,
      ],
    );
    return toFeed(rows[0] as FeedRow);
  },

  async find(db: SqlSession, id: string): Promise<CalendarFeedRecord | undefined> {
    const rows = await db.query<FeedRow>(
      `SELECT ${FEED_COLUMNS} FROM calendar_feed f WHERE f.id = $1`,
      [id],
    );
    return rows[0] && toFeed(rows[0]);
  },

  /** The feed with its secret's hash and its target's names, in one statement. */
  async findForRender(db: SqlSession, id: string): Promise<CalendarFeedForRender | undefined> {
    const rows = await db.query<RenderRow>(
      `SELECT ${FEED_COLUMNS}, f.token_sha256,
         CASE f.target WHEN 'RESOURCE' THEN r.name ELSE s.name END AS target_name,
         r.space_id AS host_id, hs.name AS host_name
       FROM calendar_feed f
       LEFT JOIN resource r ON f.target = 'RESOURCE' AND r.id = f.target_id
       LEFT JOIN space hs ON hs.id = r.space_id
       LEFT JOIN space s ON f.target = 'SPACE' AND s.id = f.target_id
       WHERE f.id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      ...toFeed(row),
      tokenSha256: new Uint8Array(row.token_sha256),
      targetName: row.target_name,
      hostId: row.host_id,
      hostName: row.host_name,
    };
  },

  /** Revokes a feed not revoked yet; undefined when it was (or does not exist). */
  async revoke(db: SqlSession, id: string): Promise<CalendarFeedRecord | undefined> {
    const rows = await db.query<FeedRow>(
      `UPDATE calendar_feed AS f SET revoked_at = now()
       WHERE f.id = $1 AND f.revoked_at IS NULL
       RETURNING ${FEED_COLUMNS}`,
      [id],
    );
    return rows[0] && toFeed(rows[0]);
  },

  /** Every feed, newest first. */
  async list(db: SqlSession): Promise<CalendarFeedRecord[]> {
    const rows = await db.query<FeedRow>(
      `SELECT ${FEED_COLUMNS} FROM calendar_feed f ORDER BY f.created_at DESC, f.id DESC`,
    );
    return rows.map(toFeed);
  },

  /** The feeds of a space and of the resources it hosts now, newest first. */
  async listOfSpace(db: SqlSession, spaceId: string): Promise<CalendarFeedRecord[]> {
    const rows = await db.query<FeedRow>(
      `SELECT ${FEED_COLUMNS} FROM calendar_feed f
       WHERE (f.target = 'SPACE' AND f.target_id = $1)
          OR (f.target = 'RESOURCE' AND f.target_id IN (SELECT id FROM resource WHERE space_id = $1 AND owned))
       ORDER BY f.created_at DESC, f.id DESC`,
      [spaceId],
    );
    return rows.map(toFeed);
  },

  /** A member's own feeds, newest first. */
  async listOfMember(db: SqlSession, memberId: string): Promise<CalendarFeedRecord[]> {
    const rows = await db.query<FeedRow>(
      `SELECT ${FEED_COLUMNS} FROM calendar_feed f
       WHERE f.target = 'MEMBER' AND f.target_id = $1
       ORDER BY f.created_at DESC, f.id DESC`,
      [memberId],
    );
    return rows.map(toFeed);
  },

  async resourceHost(db: SqlSession, id: string): Promise<ResourceHost | undefined> {
    const rows = await db.query<{ id: string; space_id: string }>(
      // This node's own resources only: replicas of other nodes' ones share the table.
      "SELECT id, space_id FROM resource WHERE id = $1 AND owned",
      [id],
    );
    return rows[0] && { id: rows[0].id, spaceId: rows[0].space_id };
  },

  async space(db: SqlSession, id: string): Promise<SpaceRef | undefined> {
    const rows = await db.query<{ id: string; name: string; fabrique_id: string | null }>(
      "SELECT id, name, fabrique_id FROM space WHERE id = $1",
      [id],
    );
    return rows[0] && { id: rows[0].id, name: rows[0].name, fabriqueId: rows[0].fabrique_id };
  },

  /** A resource's confirmed bookings ending after `since`, by start, at most `limit`. */
  async bookingsOfResource(
    db: SqlSession,
    resourceId: string,
    since: Date,
    limit: number,
  ): Promise<CalendarBooking[]> {
    const rows = await db.query<BookingRow>(
      `${BOOKING_SELECT}
       WHERE b.resource_id = $1 AND b.status = 'CONFIRMED' AND upper(b.during) > $2
       ORDER BY lower(b.during), b.id
       LIMIT $3`,
      [resourceId, since, limit],
    );
    return rows.map(toBooking);
  },

  /**
   * A space's confirmed bookings ending after `since`, by start, at most `limit`: those of the
   * resources it hosts and those made for it (wherever the resource is).
   */
  async bookingsOfSpace(
    db: SqlSession,
    spaceId: string,
    since: Date,
    limit: number,
  ): Promise<CalendarBooking[]> {
    // Plus what the space obtained from other nodes: its confirmed outgoing requests (the
    // resource and its host as replicated here).
    const rows = await db.query<BookingRow>(
      `SELECT * FROM (
         ${BOOKING_SELECT}
         WHERE (r.space_id = $1 OR b.booked_for_space = $1)
           AND b.status = 'CONFIRMED' AND upper(b.during) > $2
         UNION ALL
         SELECT q.id, lower(q.during), upper(q.during), q.created_at, r.name, r.space_id,
                hs.name, FALSE, q.for_space, fs.name
         FROM booking_request q
         JOIN resource r ON r.id = q.resource_id
         LEFT JOIN space hs ON hs.id = r.space_id
         LEFT JOIN space fs ON fs.id = q.for_space
         WHERE q.direction = 'OUTGOING' AND q.for_space = $1 AND q.status = 'CONFIRMED'
           AND upper(q.during) > $2
       ) AS feed
       ORDER BY from_at, id
       LIMIT $3`,
      [spaceId, since, limit],
    );
    return rows.map(toBooking);
  },
};
