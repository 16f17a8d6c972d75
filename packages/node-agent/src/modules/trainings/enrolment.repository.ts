import type { EnrolmentPayload, EnrolmentRequestPayload, EnrolmentStatus } from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";

/** What the decider has to do for an incoming request (see the migration). */
export const ENROLMENT_ACTIONS = ["DECIDE", "WITHDRAW", "ACCEPT_OFFER", "ANSWER"] as const;
export type EnrolmentAction = (typeof ENROLMENT_ACTIONS)[number];

/** Statuses in which a member holds a live place (one per training: ALREADY_ENROLLED). */
export const LIVE_STATUSES: readonly EnrolmentStatus[] = [
  "PENDING",
  "ENROLLED",
  "WAITLISTED",
  "OFFERED",
  "ATTENDED",
  "NO_SHOW",
];

/**
 * A member's place in a training. `organisedHere`: this node decides it (the training is its
 * own); otherwise it is this node's member's request to another node, and the organiser's
 * answers are copied onto it.
 */
export type EnrolmentRecord = {
  id: string;
  trainingId: string;
  memberId: string;
  organisedHere: boolean;
  /** Organised here for another node's member: that member's home node. */
  requesterNodeId: string | null;
  status: EnrolmentStatus;
  position: number | null;
  offerExpiresAt: Date | null;
  reasonCode: string | null;
  reason: string | null;
  credentialId: string | null;
  identityHash: string | null;
  pendingAction: EnrolmentAction | null;
  actionAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

/** The part of an enrolment a change writes. */
export type EnrolmentState = Pick<
  EnrolmentRecord,
  "status" | "position" | "offerExpiresAt" | "reasonCode" | "reason" | "credentialId"
>;

type Row = {
  id: string;
  training_id: string;
  member_id: string;
  organised_here: boolean;
  requester_node_id: string | null;
  status: EnrolmentStatus;
  position: number | null;
  offer_expires_at: Date | null;
  reason_code: string | null;
  reason: string | null;
  credential_id: string | null;
  identity_hash: string | null;
  pending_action: EnrolmentAction | null;
  action_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

const COLUMNS = `id, training_id, member_id, organised_here, requester_node_id, status, position,
  offer_expires_at, reason_code, reason, credential_id, identity_hash, pending_action, action_at,
  created_at, updated_at`;

const dateOrNull = (d: Date | string | null) => (d === null ? null : new Date(d));

function toRecord(row: Row): EnrolmentRecord {
  return {
    id: row.id,
    trainingId: row.training_id,
    memberId: row.member_id,
    organisedHere: row.organised_here,
    requesterNodeId: row.requester_node_id,
    status: row.status,
    position: row.position,
    offerExpiresAt: dateOrNull(row.offer_expires_at),
    reasonCode: row.reason_code,
    reason: row.reason,
    credentialId: row.credential_id,
    identityHash: row.identity_hash,
    pendingAction: row.pending_action,
    actionAt: dateOrNull(row.action_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** What an enrolment's ENROLMENT events carry (the organiser's; never for a PENDING one). */
export function enrolmentPayloadOf(e: EnrolmentRecord): EnrolmentPayload {
  if (e.status === "PENDING") throw new Error(`enrolment ${e.id} is not decided`);
  return {
    trainingId: e.trainingId,
    memberId: e.memberId,
    status: e.status,
    position: e.position,
    offerExpiresAt: e.offerExpiresAt?.toISOString() ?? null,
    reasonCode: e.reasonCode as EnrolmentPayload["reasonCode"],
    reason: e.reason,
    credentialId: e.credentialId,
    requestedAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

/** What a home node's ENROLMENT_REQUEST events carry. */
export function requestPayloadOf(
  e: EnrolmentRecord,
  flags: { acceptOffer?: boolean } = {},
): EnrolmentRequestPayload {
  return {
    trainingId: e.trainingId,
    memberId: e.memberId,
    identityHash: e.identityHash,
    acceptOffer: flags.acceptOffer ?? false,
    cancelled: e.status === "CANCELLED",
  };
}

export type EnrolmentFilter = {
  trainingId: string | null;
  memberId: string | null;
  status: EnrolmentStatus | null;
};

/** The only file that reads and writes `enrolment`. */
export const enrolmentRepository = {
  async find(db: SqlSession, id: string): Promise<EnrolmentRecord | undefined> {
    const rows = await db.query<Row>(`SELECT ${COLUMNS} FROM enrolment WHERE id = $1`, [id]);
    return rows[0] && toRecord(rows[0]);
  },

  async findForUpdate(db: SqlSession, id: string): Promise<EnrolmentRecord | undefined> {
    const rows = await db.query<Row>(`SELECT ${COLUMNS} FROM enrolment WHERE id = $1 FOR UPDATE`, [
      id,
    ]);
    return rows[0] && toRecord(rows[0]);
  },

  /** The member's live place in the training, if any. */
  async live(
    db: SqlSession,
    trainingId: string,
    memberId: string,
  ): Promise<EnrolmentRecord | undefined> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM enrolment
       WHERE training_id = $1 AND member_id = $2 AND status = ANY ($3::text[])`,
      [trainingId, memberId, LIVE_STATUSES],
    );
    return rows[0] && toRecord(rows[0]);
  },

  async insert(
    db: SqlSession,
    e: Pick<
      EnrolmentRecord,
      "id" | "trainingId" | "memberId" | "organisedHere" | "requesterNodeId" | "identityHash"
    > &
      EnrolmentState & {
        pendingAction?: EnrolmentAction | null;
        actionAt?: Date | null;
        /** When the member asked (an incoming request: its event's time); default now. */
        createdAt?: Date;
      },
  ): Promise<EnrolmentRecord> {
    const rows = await db.query<Row>(
      `INSERT INTO enrolment (id, training_id, member_id, organised_here, requester_node_id,
         status, position, offer_expires_at, reason_code, reason, credential_id, identity_hash,
         pending_action, action_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
         coalesce($15::timestamptz, now()))
       RETURNING ${COLUMNS}`,
      [
        e.id,
        e.trainingId,
        e.memberId,
        e.organisedHere,
        e.requesterNodeId,
        e.status,
        e.position,
        e.offerExpiresAt?.toISOString() ?? null,
        e.reasonCode,
        e.reason,
        e.credentialId,
        e.identityHash,
        e.pendingAction ?? null,
        e.actionAt?.toISOString() ?? null,
        e.createdAt?.toISOString() ?? null,
      ],
    );
    return toRecord(rows[0] as Row);
  },

  /**
   * A handover: a place in a training adopted here, as the hub holds it (organised here; its
   * member's node unknown here when another network's: "hub", as a request the hub re-routes).
   * A place kept here already stays as it is. Whether it was adopted.
   */
  async adoptHandover(
    db: SqlSession,
    id: string,
    state: EnrolmentPayload,
    memberHomedHere: boolean,
  ): Promise<boolean> {
    const rows = await db.query(
      `INSERT INTO enrolment (id, training_id, member_id, organised_here, requester_node_id,
         status, position, offer_expires_at, reason_code, reason, credential_id, created_at,
         updated_at)
       VALUES ($1, $2, $3, TRUE, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (id) DO NOTHING
       RETURNING id`,
      [
        id,
        state.trainingId,
        state.memberId,
        memberHomedHere ? null : "hub",
        state.status,
        state.position,
        state.offerExpiresAt,
        state.reasonCode,
        state.reason,
        state.credentialId,
        state.requestedAt,
        state.updatedAt,
      ],
    );
    return rows.length > 0;
  },

  /** Writes a new state (and clears the decider's action: this is its answer). */
  async setState(db: SqlSession, id: string, s: EnrolmentState): Promise<EnrolmentRecord> {
    const rows = await db.query<Row>(
      `UPDATE enrolment SET status = $2, position = $3, offer_expires_at = $4, reason_code = $5,
         reason = $6, credential_id = $7, pending_action = NULL, action_at = NULL,
         updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [
        id,
        s.status,
        s.position,
        s.offerExpiresAt?.toISOString() ?? null,
        s.reasonCode,
        s.reason,
        s.credentialId,
      ],
    );
    const row = rows[0];
    if (!row) throw new Error(`no enrolment ${id}`);
    return toRecord(row);
  },

  /** Queues an action for the decider (an incoming withdrawal or acceptance). */
  async markAction(
    db: SqlSession,
    id: string,
    action: EnrolmentAction,
    at: Date,
  ): Promise<EnrolmentRecord> {
    const rows = await db.query<Row>(
      `UPDATE enrolment SET pending_action = $2, action_at = $3, updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, action, at.toISOString()],
    );
    return toRecord(rows[0] as Row);
  },

  /** A new identity hash sent with the request (the organiser issues the credential with it). */
  async setIdentityHash(db: SqlSession, id: string, identityHash: string | null): Promise<void> {
    await db.query("UPDATE enrolment SET identity_hash = $2 WHERE id = $1", [id, identityHash]);
  },

  /** The first in line of a training organised here, locked. */
  async firstWaitlisted(db: SqlSession, trainingId: string): Promise<EnrolmentRecord | undefined> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM enrolment
       WHERE training_id = $1 AND organised_here AND status = 'WAITLISTED'
       ORDER BY position, id LIMIT 1 FOR UPDATE`,
      [trainingId],
    );
    return rows[0] && toRecord(rows[0]);
  },

  /** Someone left the waitlist at `position`: those behind move up one (the changed rows). */
  async closeGap(db: SqlSession, trainingId: string, position: number): Promise<EnrolmentRecord[]> {
    const rows = await db.query<Row>(
      `UPDATE enrolment SET position = position - 1, updated_at = now()
       WHERE training_id = $1 AND organised_here AND status = 'WAITLISTED' AND position > $2
       RETURNING ${COLUMNS}`,
      [trainingId, position],
    );
    return rows.map(toRecord).sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
  },

  /** Every enrolment of a training in the given statuses, by status and position. */
  async ofTraining(
    db: SqlSession,
    trainingId: string,
    statuses: readonly EnrolmentStatus[] | null = null,
  ): Promise<EnrolmentRecord[]> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM enrolment
       WHERE training_id = $1 AND ($2::text[] IS NULL OR status = ANY ($2::text[]))
       ORDER BY created_at, id`,
      [trainingId, statuses],
    );
    return rows.map(toRecord);
  },

  async list(db: SqlSession, f: EnrolmentFilter): Promise<EnrolmentRecord[]> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM enrolment
       WHERE ($1::text IS NULL OR training_id = $1) AND ($2::text IS NULL OR member_id = $2)
         AND ($3::text IS NULL OR status = $3)
       ORDER BY created_at, id`,
      [f.trainingId, f.memberId, f.status],
    );
    return rows.map(toRecord);
  },

  /** The decider's queue, oldest action first (ids). */
  async awaitingOrganiser(db: SqlSession): Promise<string[]> {
    const rows = await db.query<{ id: string }>(
      `SELECT id FROM enrolment WHERE pending_action IS NOT NULL AND organised_here
       ORDER BY action_at, id`,
    );
    return rows.map((r) => r.id);
  },

  /** Offers of trainings organised here that expired by `at` (ids), oldest first. */
  async expiredOffers(db: SqlSession, at: Date): Promise<string[]> {
    const rows = await db.query<{ id: string }>(
      `SELECT id FROM enrolment
       WHERE organised_here AND status = 'OFFERED' AND offer_expires_at <= $1
       ORDER BY offer_expires_at, id`,
      [at.toISOString()],
    );
    return rows.map((r) => r.id);
  },

  /** The next offer expiry still to come (the sweeper's timer), or null. */
  async nextOfferExpiryAfter(db: SqlSession, at: Date): Promise<Date | null> {
    const rows = await db.query<{ next: Date | null }>(
      `SELECT min(offer_expires_at) AS next FROM enrolment
       WHERE organised_here AND status = 'OFFERED' AND offer_expires_at > $1`,
      [at.toISOString()],
    );
    return dateOrNull(rows[0]?.next ?? null);
  },

  /**
   * A member's enrolments whose training is known here, with the training's dates, for the
   * member's calendar feed (live places ending after `since`), by start.
   */
  async calendarOfMember(
    db: SqlSession,
    memberId: string,
    since: Date,
    limit: number,
  ): Promise<(EnrolmentRecord & { startsAt: Date; endsAt: Date; title: string })[]> {
    const rows = await db.query<Row & { starts_at: Date; ends_at: Date; title: string }>(
      `SELECT ${COLUMNS.split(",")
        .map((c) => `e.${c.trim()}`)
        .join(", ")}, t.starts_at, t.ends_at, t.title
       FROM enrolment e JOIN training t ON t.id = e.training_id
       WHERE e.member_id = $1 AND t.ends_at > $2
         AND e.status IN ('PENDING', 'ENROLLED', 'WAITLISTED', 'OFFERED', 'ATTENDED')
       ORDER BY t.starts_at, e.id LIMIT $3`,
      [memberId, since.toISOString(), limit],
    );
    return rows.map((r) => ({
      ...toRecord(r),
      startsAt: new Date(r.starts_at),
      endsAt: new Date(r.ends_at),
      title: r.title,
    }));
  },
};
