import type {
  SharingScope,
  TrainingGrant,
  TrainingPayload,
  TrainingSeats,
  TrainingStatus,
  TrainingTopic,
} from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";

/**
 * A training (one dated session): organised here (owned) or a replica of another node's
 * NETWORK or NATIONAL one. `seats` are the organiser's counts.
 */
export type TrainingRecord = TrainingFields & {
  id: string;
  owned: boolean;
  /** A replica's organiser node; null for this node's own. */
  ownerNodeId: string | null;
  seriesId: string | null;
  status: TrainingStatus;
  cancelReasonCode: "CANCELLED_BY_ORGANISER" | "MINIMUM_NOT_REACHED" | null;
  seats: TrainingSeats;
  createdAt: Date;
  updatedAt: Date;
};

/** What the organiser sets (createTraining, updateTraining), as stored. */
export type TrainingFields = {
  spaceId: string;
  title: string;
  topic: TrainingTopic;
  tags: string[];
  description: string | null;
  venueSpaceId: string | null;
  onlineUrl: string | null;
  startsAt: Date;
  endsAt: Date;
  capacity: number;
  minimum: number;
  decisionAt: Date | null;
  scope: SharingScope;
  prerequisites: string[];
  grants: TrainingGrant | null;
  trainerName: string | null;
  cancelDeadlineMinutes: number;
  offerHours: number | null;
};

/** A change of the seat counts, in the statement that changes an enrolment. */
export type SeatDelta = Partial<Record<keyof TrainingSeats, number>>;

type Row = {
  id: string;
  owned: boolean;
  owner_node_id: string | null;
  space_id: string;
  title: string;
  topic: TrainingTopic;
  tags: string[] | null;
  description: string | null;
  venue_space_id: string | null;
  online_url: string | null;
  starts_at: Date;
  ends_at: Date;
  series_id: string | null;
  capacity: number;
  minimum: number;
  decision_at: Date | null;
  scope: SharingScope;
  prerequisites: string[] | null;
  grant_type: string | null;
  grant_validity_days: number | null;
  trainer_name: string | null;
  cancel_deadline_minutes: number;
  offer_hours: number | null;
  status: TrainingStatus;
  cancel_reason_code: TrainingRecord["cancelReasonCode"];
  taken: number;
  waitlisted: number;
  attended: number;
  no_show: number;
  created_at: Date;
  updated_at: Date;
};

const COLUMNS = `id, owned, owner_node_id, space_id, title, topic, tags, description, venue_space_id,
  online_url, starts_at, ends_at, series_id, capacity, minimum, decision_at, scope, prerequisites,
  grant_type, grant_validity_days, trainer_name, cancel_deadline_minutes, offer_hours, status,
  cancel_reason_code, taken, waitlisted, attended, no_show, created_at, updated_at`;

const dateOrNull = (d: Date | string | null) => (d === null ? null : new Date(d));

function toRecord(row: Row): TrainingRecord {
  return {
    id: row.id,
    owned: row.owned,
    ownerNodeId: row.owner_node_id,
    spaceId: row.space_id,
    title: row.title,
    topic: row.topic,
    tags: row.tags ?? [],
    description: row.description,
    venueSpaceId: row.venue_space_id,
    onlineUrl: row.online_url,
    startsAt: new Date(row.starts_at),
    endsAt: new Date(row.ends_at),
    seriesId: row.series_id,
    capacity: row.capacity,
    minimum: row.minimum,
    decisionAt: dateOrNull(row.decision_at),
    scope: row.scope,
    prerequisites: row.prerequisites ?? [],
    grants:
      row.grant_type === null
        ? null
        : { type: row.grant_type, validityDays: row.grant_validity_days },
    trainerName: row.trainer_name,
    cancelDeadlineMinutes: row.cancel_deadline_minutes,
    offerHours: row.offer_hours,
    status: row.status,
    cancelReasonCode: row.cancel_reason_code,
    seats: {
      taken: row.taken,
      waitlisted: row.waitlisted,
      attended: row.attended,
      noShow: row.no_show,
    },
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** What a training's TRAINING events carry (no person: the trainer's public name only). */
export function trainingPayloadOf(t: TrainingRecord): TrainingPayload {
  return {
    spaceId: t.spaceId,
    title: t.title,
    topic: t.topic,
    tags: t.tags,
    description: t.description,
    venueSpaceId: t.venueSpaceId,
    onlineUrl: t.onlineUrl,
    startsAt: t.startsAt.toISOString(),
    endsAt: t.endsAt.toISOString(),
    seriesId: t.seriesId,
    capacity: t.capacity,
    minimum: t.minimum,
    decisionAt: t.decisionAt?.toISOString() ?? null,
    scope: t.scope,
    prerequisites: t.prerequisites,
    grants: t.grants,
    trainerName: t.trainerName,
    cancelDeadlineMinutes: t.cancelDeadlineMinutes,
    offerHours: t.offerHours,
    status: t.status,
    cancelReasonCode: t.cancelReasonCode,
    seats: t.seats,
  };
}

function fieldParams(f: TrainingFields): unknown[] {
  return [
    f.spaceId,
    f.title,
    f.topic,
    f.tags,
    f.description,
    f.venueSpaceId,
    f.onlineUrl,
    f.startsAt.toISOString(),
    f.endsAt.toISOString(),
    f.capacity,
    f.minimum,
    f.decisionAt?.toISOString() ?? null,
    f.scope,
    f.prerequisites,
    f.grants?.type ?? null,
    f.grants?.validityDays ?? null,
    f.trainerName,
    f.cancelDeadlineMinutes,
    f.offerHours,
  ];
}

/**
 * A training as its organiser's payload carries it (a replica, a handover): the columns and
 * upsert assignments upsertReplica and adoptHandover share, and their parameters $2…$23.
 */
const PAYLOAD_COLUMNS = `(id, owned, space_id, title, topic, tags, description, venue_space_id,
  online_url, starts_at, ends_at, capacity, minimum, decision_at, scope, prerequisites,
  grant_type, grant_validity_days, trainer_name, cancel_deadline_minutes, offer_hours,
  series_id, status, cancel_reason_code, taken, waitlisted, attended, no_show`;
const PAYLOAD_SET = `space_id = EXCLUDED.space_id, title = EXCLUDED.title,
  topic = EXCLUDED.topic, tags = EXCLUDED.tags, description = EXCLUDED.description,
  venue_space_id = EXCLUDED.venue_space_id, online_url = EXCLUDED.online_url,
  starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, capacity = EXCLUDED.capacity,
  minimum = EXCLUDED.minimum, decision_at = EXCLUDED.decision_at, scope = EXCLUDED.scope,
  prerequisites = EXCLUDED.prerequisites, grant_type = EXCLUDED.grant_type,
  grant_validity_days = EXCLUDED.grant_validity_days, trainer_name = EXCLUDED.trainer_name,
  cancel_deadline_minutes = EXCLUDED.cancel_deadline_minutes,
  offer_hours = EXCLUDED.offer_hours, series_id = EXCLUDED.series_id,
  status = EXCLUDED.status, cancel_reason_code = EXCLUDED.cancel_reason_code,`;

function payloadParams(state: TrainingPayload): unknown[] {
  const fields: TrainingFields = {
    spaceId: state.spaceId,
    title: state.title,
    topic: state.topic,
    tags: state.tags,
    description: state.description,
    venueSpaceId: state.venueSpaceId,
    onlineUrl: state.onlineUrl,
    startsAt: new Date(state.startsAt),
    endsAt: new Date(state.endsAt),
    capacity: state.capacity,
    minimum: state.minimum,
    decisionAt: dateOrNull(state.decisionAt),
    scope: state.scope,
    prerequisites: state.prerequisites,
    grants: state.grants,
    trainerName: state.trainerName,
    cancelDeadlineMinutes: state.cancelDeadlineMinutes,
    offerHours: state.offerHours,
  };
  return [...fieldParams(fields), state.seriesId, state.status, state.cancelReasonCode];
}

/** Discovery: what `trainings(filter)` narrows in the store (the rest is geography). */
export type TrainingQuery = {
  topic: TrainingTopic | null;
  tag: string | null;
  from: Date | null;
  to: Date | null;
  online: boolean | null;
  hasSeats: boolean | null;
  credential: string | null;
  limit: number;
};

/** One training's figures for the statistics export (its enrolments counted by the store). */
export type TrainingStatisticsRow = TrainingRecord & {
  /** Live places of members homed at another node (cross-node enrolments). */
  crossNode: number;
  /** Enrolments cancelled, whoever cancelled them. */
  cancelled: number;
  /** Attendances that issued the session's credential (revoked since or not). */
  credentialsIssued: number;
  /** Among those, the credentials revoked since (their row is gone). */
  credentialsRevoked: number;
};

/** The only file that reads and writes `training`. */
export const trainingRepository = {
  async find(db: SqlSession, id: string): Promise<TrainingRecord | undefined> {
    const rows = await db.query<Row>(`SELECT ${COLUMNS} FROM training WHERE id = $1`, [id]);
    return rows[0] && toRecord(rows[0]);
  },

  /** The training, its row locked until the transaction ends (enrolments change its seats). */
  async findForUpdate(db: SqlSession, id: string): Promise<TrainingRecord | undefined> {
    const rows = await db.query<Row>(`SELECT ${COLUMNS} FROM training WHERE id = $1 FOR UPDATE`, [
      id,
    ]);
    return rows[0] && toRecord(rows[0]);
  },

  async insertOwned(
    db: SqlSession,
    id: string,
    fields: TrainingFields,
    seriesId: string | null,
  ): Promise<TrainingRecord> {
    const rows = await db.query<Row>(
      `INSERT INTO training (id, owned, space_id, title, topic, tags, description, venue_space_id,
         online_url, starts_at, ends_at, capacity, minimum, decision_at, scope, prerequisites,
         grant_type, grant_validity_days, trainer_name, cancel_deadline_minutes, offer_hours,
         series_id, status)
       VALUES ($1, TRUE, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
         $18, $19, $20, $21, 'SCHEDULED')
       RETURNING ${COLUMNS}`,
      [id, ...fieldParams(fields), seriesId],
    );
    return toRecord(rows[0] as Row);
  },

  async updateOwned(db: SqlSession, id: string, fields: TrainingFields): Promise<TrainingRecord> {
    const rows = await db.query<Row>(
      `UPDATE training SET space_id = $2, title = $3, topic = $4, tags = $5, description = $6,
         venue_space_id = $7, online_url = $8, starts_at = $9, ends_at = $10, capacity = $11,
         minimum = $12, decision_at = $13, scope = $14, prerequisites = $15, grant_type = $16,
         grant_validity_days = $17, trainer_name = $18, cancel_deadline_minutes = $19,
         offer_hours = $20,
         -- A new minimum or deadline: the minimum is decided again at the deadline.
         minimum_met_at = CASE WHEN minimum = $12 AND decision_at IS NOT DISTINCT FROM $13
           THEN minimum_met_at END,
         updated_at = now()
       WHERE id = $1 AND owned RETURNING ${COLUMNS}`,
      [id, ...fieldParams(fields)],
    );
    return toRecord(rows[0] as Row);
  },

  /** SCHEDULED → CANCELLED; undefined when it was cancelled already. */
  async cancel(
    db: SqlSession,
    id: string,
    reasonCode: NonNullable<TrainingRecord["cancelReasonCode"]>,
  ): Promise<TrainingRecord | undefined> {
    const rows = await db.query<Row>(
      `UPDATE training SET status = 'CANCELLED', cancel_reason_code = $2, updated_at = now()
       WHERE id = $1 AND owned AND status = 'SCHEDULED' RETURNING ${COLUMNS}`,
      [id, reasonCode],
    );
    return rows[0] && toRecord(rows[0]);
  },

  /**
   * Takes one seat if one is left, in one statement (the store decides, races included; the
   * training_capacity CHECK stands behind it). Whether a seat was taken.
   */
  async takeSeat(db: SqlSession, id: string): Promise<boolean> {
    const rows = await db.query(
      `UPDATE training SET taken = taken + 1, updated_at = now()
       WHERE id = $1 AND owned AND status = 'SCHEDULED' AND taken < capacity
       RETURNING id`,
      [id],
    );
    return rows.length > 0;
  },

  /** Joins the waitlist: the new waitlisted count, which is the newcomer's position. */
  async joinWaitlist(db: SqlSession, id: string): Promise<number> {
    const rows = await db.query<{ waitlisted: number }>(
      `UPDATE training SET waitlisted = waitlisted + 1, updated_at = now()
       WHERE id = $1 AND owned RETURNING waitlisted`,
      [id],
    );
    const row = rows[0];
    if (!row) throw new Error(`training ${id} is not this node's`);
    return row.waitlisted;
  },

  /** Moves the seat counts of an owned training (never below zero: the CHECKs refuse it). */
  async adjustSeats(db: SqlSession, id: string, delta: SeatDelta): Promise<void> {
    await db.query(
      `UPDATE training SET taken = taken + $2, waitlisted = waitlisted + $3,
         attended = attended + $4, no_show = no_show + $5, updated_at = now()
       WHERE id = $1 AND owned`,
      [id, delta.taken ?? 0, delta.waitlisted ?? 0, delta.attended ?? 0, delta.noShow ?? 0],
    );
  },

  /**
   * A replica from its organiser's TRAINING event (a NETWORK or NATIONAL one); a training
   * organised here is never overwritten. Whether it was written.
   */
  async upsertReplica(
    db: SqlSession,
    id: string,
    ownerNodeId: string | null,
    state: TrainingPayload,
  ): Promise<boolean> {
    const rows = await db.query(
      `INSERT INTO training ${PAYLOAD_COLUMNS}, owner_node_id)
       VALUES ($1, FALSE, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
         $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28)
       ON CONFLICT (id) DO UPDATE SET ${PAYLOAD_SET}
         taken = EXCLUDED.taken, waitlisted = EXCLUDED.waitlisted, attended = EXCLUDED.attended,
         no_show = EXCLUDED.no_show,
         owner_node_id = COALESCE(EXCLUDED.owner_node_id, training.owner_node_id),
         updated_at = now()
       WHERE NOT training.owned
       RETURNING id`,
      [
        id,
        ...payloadParams(state),
        state.seats.taken,
        state.seats.waitlisted,
        state.seats.attended,
        state.seats.noShow,
        ownerNodeId,
      ],
    );
    return rows.length > 0;
  },

  /**
   * A handover (this node was enrolled in place of its fabrique's previous node, or takes over
   * history the hub holds): the training becomes this node's own, as the hub holds it. Its seat
   * counts are those of the enrolments kept here for it (handed over after it: recountOwned
   * follows each), never the payload's; a decision deadline already past with the minimum
   * met counts as decided. A training already organised here is kept. Whether it was adopted.
   */
  async adoptHandover(db: SqlSession, id: string, state: TrainingPayload): Promise<boolean> {
    const rows = await db.query(
      `INSERT INTO training ${PAYLOAD_COLUMNS}, owner_node_id, minimum_met_at)
       VALUES ($1, TRUE, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
         $18, $19, $20, $21, $22, $23, 0, 0, 0, 0, NULL,
         CASE WHEN $12::int > 0 AND $13::timestamptz <= now() AND $24::int >= $12::int
              THEN now() END)
       ON CONFLICT (id) DO UPDATE SET owned = TRUE, owner_node_id = NULL, ${PAYLOAD_SET}
         taken = 0, waitlisted = 0, attended = 0, no_show = 0,
         minimum_met_at = EXCLUDED.minimum_met_at, updated_at = now()
       WHERE NOT training.owned
       RETURNING id`,
      [id, ...payloadParams(state), state.seats.taken],
    );
    if (rows.length === 0) return false;
    await trainingRepository.recountOwned(db, id);
    return true;
  },

  /**
   * An adopted training's seat counts from its enrolments here (the seats held, the waitlist
   * and attendance), and its waitlist numbered 1… in its order: `waitlisted` is also the
   * waitlist's sequence, so the next one in line gets the next position.
   */
  async recountOwned(db: SqlSession, id: string): Promise<void> {
    await db.query(
      `UPDATE enrolment e SET position = n.position
       FROM (SELECT id, row_number() OVER (ORDER BY position NULLS LAST, created_at, id) AS position
             FROM enrolment WHERE training_id = $1 AND organised_here AND status = 'WAITLISTED') n
       WHERE e.id = n.id AND e.position IS DISTINCT FROM n.position`,
      [id],
    );
    await db.query(
      `UPDATE training t SET
         taken = c.taken, waitlisted = c.waitlisted, attended = c.attended, no_show = c.no_show
       FROM (SELECT
               count(*) FILTER (WHERE status IN ('ENROLLED', 'OFFERED', 'ATTENDED', 'NO_SHOW'))::int
                 AS taken,
               count(*) FILTER (WHERE status = 'WAITLISTED')::int AS waitlisted,
               count(*) FILTER (WHERE status = 'ATTENDED')::int AS attended,
               count(*) FILTER (WHERE status = 'NO_SHOW')::int AS no_show
             FROM enrolment WHERE training_id = $1 AND organised_here) c
       WHERE t.id = $1 AND t.owned`,
      [id],
    );
  },

  /** Another node's training went back to LOCAL: its replica goes. Whether there was one. */
  async deleteReplica(db: SqlSession, id: string): Promise<boolean> {
    const rows = await db.query("DELETE FROM training WHERE id = $1 AND NOT owned RETURNING id", [
      id,
    ]);
    return rows.length > 0;
  },

  /**
   * Discovery: this node's trainings (every scope) and the replicas kept here (NETWORK and
   * NATIONAL only: a LOCAL replica is never kept), by start.
   */
  async search(db: SqlSession, q: TrainingQuery): Promise<TrainingRecord[]> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM training
       WHERE (owned OR scope <> 'LOCAL')
         AND ($1::text IS NULL OR topic = $1)
         AND ($2::text IS NULL OR $2 = ANY (tags))
         AND ($3::timestamptz IS NULL OR ends_at > $3)
         AND ($4::timestamptz IS NULL OR starts_at < $4)
         AND ($5::boolean IS NULL OR (online_url IS NOT NULL) = $5)
         AND ($6::boolean IS NULL
           OR (status = 'SCHEDULED' AND taken < capacity) = $6)
         AND ($7::text IS NULL OR grant_type = $7)
       ORDER BY starts_at, id
       LIMIT $8`,
      [
        q.topic,
        q.tag,
        q.from?.toISOString() ?? null,
        q.to?.toISOString() ?? null,
        q.online,
        q.hasSeats,
        q.credential,
        q.limit,
      ],
    );
    return rows.map(toRecord);
  },

  /** The trainings held at a space (their venue) ending after `since`, by start. */
  async atVenue(
    db: SqlSession,
    spaceId: string,
    since: Date,
    limit: number,
  ): Promise<TrainingRecord[]> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM training
       WHERE venue_space_id = $1 AND ends_at > $2 AND (owned OR scope <> 'LOCAL')
       ORDER BY starts_at, id LIMIT $3`,
      [spaceId, since.toISOString(), limit],
    );
    return rows.map(toRecord);
  },

  /** Credential types granted by a training this node knows (prerequisites may name them). */
  async grantedTypes(db: SqlSession, types: readonly string[]): Promise<Set<string>> {
    const rows = await db.query<{ grant_type: string }>(
      "SELECT DISTINCT grant_type FROM training WHERE grant_type = ANY ($1::text[])",
      [types],
    );
    return new Set(rows.map((r) => r.grant_type));
  },

  /**
   * The sweeper's due decisions: this node's SCHEDULED trainings with a minimum whose decision
   * deadline has come and which were not decided yet (ids).
   */
  async decisionsDueAt(db: SqlSession, at: Date): Promise<string[]> {
    const rows = await db.query<{ id: string }>(
      `SELECT id FROM training
       WHERE owned AND status = 'SCHEDULED' AND minimum > 0 AND minimum_met_at IS NULL
         AND decision_at <= $1
       ORDER BY decision_at, id`,
      [at.toISOString()],
    );
    return rows.map((r) => r.id);
  },

  /** The minimum was met at the deadline: decided, for good. Whether it was still open. */
  async markMinimumMet(db: SqlSession, id: string, at: Date): Promise<boolean> {
    const rows = await db.query(
      `UPDATE training SET minimum_met_at = $2
       WHERE id = $1 AND owned AND minimum_met_at IS NULL RETURNING id`,
      [id, at.toISOString()],
    );
    return rows.length > 0;
  },

  /** The next decision deadline still to come (the sweeper's timer), or null. */
  async nextDecisionAfter(db: SqlSession, at: Date): Promise<Date | null> {
    const rows = await db.query<{ next: Date | null }>(
      `SELECT min(decision_at) AS next FROM training
       WHERE owned AND status = 'SCHEDULED' AND minimum > 0 AND minimum_met_at IS NULL
         AND decision_at > $1`,
      [at.toISOString()],
    );
    return dateOrNull(rows[0]?.next ?? null);
  },

  /**
   * This node's trainings starting in [from, to) with the figures of their enrolments, by
   * start (the statistics export: by session date).
   */
  async statistics(db: SqlSession, from: Date, to: Date): Promise<TrainingStatisticsRow[]> {
    const rows = await db.query<
      Row & {
        cross_node: number;
        cancelled: number;
        credentials_issued: number;
        credentials_revoked: number;
      }
    >(
      `SELECT ${COLUMNS},
         (SELECT count(*)::int FROM enrolment e WHERE e.training_id = training.id
            AND e.requester_node_id IS NOT NULL
            AND e.status IN ('ENROLLED', 'OFFERED', 'ATTENDED', 'NO_SHOW')) AS cross_node,
         (SELECT count(*)::int FROM enrolment e WHERE e.training_id = training.id
            AND e.status = 'CANCELLED') AS cancelled,
         (SELECT count(*)::int FROM enrolment e WHERE e.training_id = training.id
            AND e.credential_id IS NOT NULL AND e.status = 'ATTENDED') AS credentials_issued,
         (SELECT count(*)::int FROM enrolment e WHERE e.training_id = training.id
            AND e.credential_id IS NOT NULL AND e.status = 'ATTENDED'
            AND NOT EXISTS (SELECT 1 FROM credential c WHERE c.id = e.credential_id))
           AS credentials_revoked
       FROM training
       WHERE owned AND starts_at >= $1 AND starts_at < $2
       ORDER BY starts_at, id`,
      [from.toISOString(), to.toISOString()],
    );
    return rows.map((r) => ({
      ...toRecord(r),
      crossNode: r.cross_node,
      cancelled: r.cancelled,
      credentialsIssued: r.credentials_issued,
      credentialsRevoked: r.credentials_revoked,
    }));
  },
};
