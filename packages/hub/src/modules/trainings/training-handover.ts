import {
  type EnrolmentPayload,
  type EnrolmentRequestPayload,
  SCHEMA_VERSION,
  type TrainingPayload,
} from "@maillage/schema";
import { ulid } from "ulid";
import type { LogEntry, Sql } from "../sync/change-log.repository.ts";

/**
 * The trainings a node takes over when it is enrolled for a fabrique (in place of its previous
 * node, or over history the hub holds for it), rebuilt from the hub's rows, in the enrolment's
 * transaction after the owner ids were rewritten (modules/nodes/enrolment.service.ts):
 * 1. TRAINING, origin null, target = the node: every training it owns that has not ended, which
 *    it adopts as its own (a session over is history: statistics stay at the hub);
 * 2. ENROLMENT, origin null, target = the node: every place in those trainings, which it adopts
 *    as places organised there (its seat counts and waitlist recounted from them);
 * 3. ENROLMENT_REQUEST, origin = the requester, target = the node: the other networks' members'
 *    requests for those trainings, as their requesters last sent them (the hub's log keeps their
 *    identity hashes, needed for the credentials attendance issues, and the instant the member
 *    acted): those not answered yet get decided there; an acceptance of an offer goes only
 *    with a place still OFFERED (one the previous node already answered is not accepted twice);
 * 4. TRAINING, origin = the node, target null: the shared ones (NETWORK, NATIONAL) announced
 *    again to every node, whose replicas then follow their new owner (only its answers count).
 */

type Timestamp = Date | string;
const iso = (value: Timestamp): string =>
  (value instanceof Date ? value : new Date(value)).toISOString();
const isoOrNull = (value: Timestamp | null): string | null => (value === null ? null : iso(value));

function entry(
  entity: "TRAINING" | "ENROLMENT" | "ENROLMENT_REQUEST",
  entityId: string,
  payload: unknown,
  route: { originNodeId: string | null; targetNodeId: string | null },
  occurredAt = new Date().toISOString(),
): LogEntry {
  return {
    eventId: ulid(),
    originNodeId: route.originNodeId,
    seq: null,
    entity,
    entityId,
    op: "UPSERT",
    payload,
    occurredAt,
    schemaVersion: SCHEMA_VERSION,
    targetNodeId: route.targetNodeId,
  };
}

type TrainingRecord = { id: string; payload: TrainingPayload };

/** The trainings a node owns that have not ended yet (as TRAINING payloads), by start. */
export async function unendedTrainingsOwnedBy(sql: Sql, nodeId: string): Promise<TrainingRecord[]> {
  const rows = await sql.query<{
    id: string;
    spaceId: string;
    title: string;
    topic: TrainingPayload["topic"];
    tags: string[] | null;
    description: string | null;
    venueSpaceId: string | null;
    onlineUrl: string | null;
    startsAt: Timestamp;
    endsAt: Timestamp;
    seriesId: string | null;
    capacity: number;
    minimum: number;
    decisionAt: Timestamp | null;
    scope: TrainingPayload["scope"];
    prerequisites: string[] | null;
    grantsType: string | null;
    grantsValidityDays: number | null;
    trainerName: string | null;
    cancelDeadlineMinutes: number;
    offerHours: number | null;
    status: TrainingPayload["status"];
    cancelReasonCode: TrainingPayload["cancelReasonCode"];
    taken: number;
    waitlisted: number;
    attended: number;
    noShow: number;
  }>(
    `SELECT id, space_id AS "spaceId", title, topic, tags, description,
            venue_space_id AS "venueSpaceId", online_url AS "onlineUrl",
            starts_at AT TIME ZONE 'UTC' AS "startsAt", ends_at AT TIME ZONE 'UTC' AS "endsAt",
            series_id AS "seriesId", capacity, minimum,
            decision_at AT TIME ZONE 'UTC' AS "decisionAt", scope, prerequisites,
            grants_type AS "grantsType", grants_validity_days AS "grantsValidityDays",
            trainer_name AS "trainerName", cancel_deadline_minutes AS "cancelDeadlineMinutes",
            offer_hours AS "offerHours", status, cancel_reason_code AS "cancelReasonCode",
            taken, waitlisted, attended, no_show AS "noShow"
     FROM training
     WHERE owner_node_id = $1 AND ends_at > now() AT TIME ZONE 'UTC'
     ORDER BY starts_at, id`,
    [nodeId],
  );
  return rows.map((r) => ({
    id: r.id,
    payload: {
      spaceId: r.spaceId,
      title: r.title,
      topic: r.topic,
      tags: r.tags ?? [],
      description: r.description,
      venueSpaceId: r.venueSpaceId,
      onlineUrl: r.onlineUrl,
      startsAt: iso(r.startsAt),
      endsAt: iso(r.endsAt),
      seriesId: r.seriesId,
      capacity: r.capacity,
      minimum: r.minimum,
      decisionAt: isoOrNull(r.decisionAt),
      scope: r.scope,
      prerequisites: r.prerequisites ?? [],
      grants:
        r.grantsType === null ? null : { type: r.grantsType, validityDays: r.grantsValidityDays },
      trainerName: r.trainerName,
      cancelDeadlineMinutes: r.cancelDeadlineMinutes,
      offerHours: r.offerHours,
      status: r.status,
      cancelReasonCode: r.cancelReasonCode,
      seats: { taken: r.taken, waitlisted: r.waitlisted, attended: r.attended, noShow: r.noShow },
    } as TrainingPayload,
  }));
}

/** Every place in these trainings (as ENROLMENT payloads), by training and arrival. */
export async function enrolmentsOfTrainings(
  sql: Sql,
  trainingIds: string[],
): Promise<{ id: string; payload: EnrolmentPayload }[]> {
  if (trainingIds.length === 0) return [];
  const rows = await sql.query<{
    id: string;
    trainingId: string;
    memberId: string;
    status: EnrolmentPayload["status"];
    position: number | null;
    offerExpiresAt: Timestamp | null;
    reasonCode: EnrolmentPayload["reasonCode"];
    reason: string | null;
    credentialId: string | null;
    requestedAt: Timestamp;
    updatedAt: Timestamp;
  }>(
    `SELECT id, training_id AS "trainingId", member_id AS "memberId", status, position,
            offer_expires_at AT TIME ZONE 'UTC' AS "offerExpiresAt", reason_code AS "reasonCode",
            reason, credential_id AS "credentialId",
            requested_at AT TIME ZONE 'UTC' AS "requestedAt",
            updated_at AT TIME ZONE 'UTC' AS "updatedAt"
     FROM enrolment WHERE training_id = ANY($1::text[])
     ORDER BY training_id, requested_at, id`,
    [trainingIds],
  );
  return rows.map(({ id, ...r }) => ({
    id,
    payload: {
      ...r,
      offerExpiresAt: isoOrNull(r.offerExpiresAt),
      requestedAt: iso(r.requestedAt),
      updatedAt: iso(r.updatedAt),
    },
  }));
}

/**
 * The other networks' members' requests for these trainings, as their requesters last sent
 * them (the last ENROLMENT_REQUEST of each in the log, its instant kept; built from the row,
 * without identity hash, should the log not have it), with their requester. An acceptance of an
 * offer is kept only while the place is OFFERED.
 */
export async function requestsForTrainings(
  sql: Sql,
  trainingIds: string[],
): Promise<
  { id: string; requesterNodeId: string; payload: EnrolmentRequestPayload; at: string }[]
> {
  if (trainingIds.length === 0) return [];
  const rows = await sql.query<{
    id: string;
    requesterNodeId: string;
    trainingId: string;
    memberId: string;
    acceptOffer: boolean;
    cancelled: boolean;
    requestedAt: Timestamp;
    sent: EnrolmentRequestPayload | null;
    sentAt: Timestamp | null;
    placeStatus: string | null;
  }>(
    `WITH q AS (SELECT * FROM enrolment_request WHERE training_id = ANY($1::text[])),
     -- The last request each requester sent, in one pass over the log.
     l AS (SELECT DISTINCT ON (entity_id) entity_id, payload, occurred_at FROM change_log
           WHERE entity = 'ENROLMENT_REQUEST' AND op = 'UPSERT' AND origin_node_id IS NOT NULL
             AND entity_id IN (SELECT id FROM q)
           ORDER BY entity_id, "offset" DESC)
     SELECT q.id, q.requester_node_id AS "requesterNodeId", q.training_id AS "trainingId",
            q.member_id AS "memberId", q.accept_offer AS "acceptOffer", q.cancelled,
            q.requested_at AT TIME ZONE 'UTC' AS "requestedAt",
            l.payload AS sent, l.occurred_at AT TIME ZONE 'UTC' AS "sentAt",
            e.status AS "placeStatus"
     FROM q
     LEFT JOIN enrolment e ON e.id = q.id
     LEFT JOIN l ON l.entity_id = q.id
     ORDER BY q.requested_at, q.id`,
    [trainingIds],
  );
  return rows.map((r) => {
    const sent = r.sent ?? {
      trainingId: r.trainingId,
      memberId: r.memberId,
      identityHash: null,
      acceptOffer: r.acceptOffer,
      cancelled: r.cancelled,
    };
    return {
      id: r.id,
      requesterNodeId: r.requesterNodeId,
      payload: {
        ...sent,
        trainingId: r.trainingId,
        memberId: r.memberId,
        cancelled: r.cancelled,
        acceptOffer: r.acceptOffer && r.placeStatus === "OFFERED",
      },
      at: iso(r.sentAt ?? r.requestedAt),
    };
  });
}

/** The log entries of a node's training handover, in the order of the file's comment. */
export async function trainingHandoverEntries(sql: Sql, nodeId: string): Promise<LogEntry[]> {
  const trainings = await unendedTrainingsOwnedBy(sql, nodeId);
  const ids = trainings.map((t) => t.id);
  const enrolments = await enrolmentsOfTrainings(sql, ids);
  const requests = await requestsForTrainings(sql, ids);
  const handover = { originNodeId: null, targetNodeId: nodeId };
  return [
    ...trainings.map((t) => entry("TRAINING", t.id, t.payload, handover)),
    ...enrolments.map((e) => entry("ENROLMENT", e.id, e.payload, handover)),
    ...requests.map((q) =>
      entry(
        "ENROLMENT_REQUEST",
        q.id,
        q.payload,
        { originNodeId: q.requesterNodeId, targetNodeId: nodeId },
        q.at,
      ),
    ),
    ...trainings
      .filter((t) => t.payload.scope !== "LOCAL")
      .map((t) => entry("TRAINING", t.id, t.payload, { originNodeId: nodeId, targetNodeId: null })),
  ];
}
