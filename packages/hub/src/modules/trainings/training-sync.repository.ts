import type { EnrolmentPayload, EnrolmentRequestPayload, TrainingPayload } from "@maillage/schema";
import type { Sql } from "../sync/change-log.repository.ts";
import {
  attendanceKey,
  type EnrolmentRequestRow,
  type EnrolmentRow,
  type TrainingRow,
} from "../sync/push-handlers.ts";

/**
 * SQL of the hub's replicas of trainings, members' enrolment requests and enrolments, written
 * by pushes inside the push transaction. Timestamps are `timestamp(3)` in UTC: written from
 * ISO strings with `::timestamptz AT TIME ZONE 'UTC'`. Only pseudonymous member ids are kept
 * (the requests' identity hashes stay in the log, on their way to the organiser).
 */

export async function trainingsByIds(sql: Sql, ids: string[]): Promise<TrainingRow[]> {
  if (ids.length === 0) return [];
  return sql.query<TrainingRow>(
    "SELECT id, owner_node_id, space_id, scope FROM training WHERE id = ANY($1::text[])",
    [ids],
  );
}

export async function enrolmentRequestsByIds(
  sql: Sql,
  ids: string[],
): Promise<EnrolmentRequestRow[]> {
  if (ids.length === 0) return [];
  return sql.query<EnrolmentRequestRow>(
    `SELECT id, requester_node_id, owner_node_id, training_id, member_id, cancelled
     FROM enrolment_request WHERE id = ANY($1::text[])`,
    [ids],
  );
}

export async function enrolmentsByIds(sql: Sql, ids: string[]): Promise<EnrolmentRow[]> {
  if (ids.length === 0) return [];
  return sql.query<EnrolmentRow>(
    `SELECT id, owner_node_id, training_id, member_id, status
     FROM enrolment WHERE id = ANY($1::text[])`,
    [ids],
  );
}

/** Of these attendance keys, those of an ATTENDED enrolment the hub holds. */
export async function attendedOf(sql: Sql, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const pairs = keys.map((k) => {
    const [trainingId, memberId] = k.split("|");
    return { trainingId, memberId };
  });
  const rows = await sql.query<{ training_id: string; member_id: string }>(
    `SELECT DISTINCT e.training_id, e.member_id
     FROM jsonb_to_recordset($1::jsonb) AS k("trainingId" text, "memberId" text)
     JOIN enrolment e ON e.training_id = k."trainingId" AND e.member_id = k."memberId"
     WHERE e.status = 'ATTENDED'`,
    [JSON.stringify(pairs)],
  );
  return new Set(rows.map((r) => attendanceKey(r.training_id, r.member_id)));
}

/**
 * Inserts or replaces trainings (each id at most once per call), their owner's only, with the
 * organiser's network and the place discovery finds them by (the venue's, or the organiser's
 * when online or the venue is unknown here), read from the spaces as they are written.
 */
export async function upsertTrainings(
  sql: Sql,
  nodeId: string,
  rows: { id: string; training: TrainingPayload }[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `INSERT INTO training (id, owner_node_id, space_id, title, topic, tags, description,
                           venue_space_id, online_url, starts_at, ends_at, series_id, capacity,
                           minimum, decision_at, scope, prerequisites, grants_type,
                           grants_validity_days, trainer_name, cancel_deadline_minutes,
                           offer_hours, status, cancel_reason_code, taken, waitlisted, attended,
                           no_show, updated_at, network_id, venue_network_id, place_commune_code,
                           place_department_code, place_region_code)
     SELECT r.id, $2, r."spaceId", r.title, r.topic,
            ARRAY(SELECT jsonb_array_elements_text(r.tags)), r.description, r."venueSpaceId",
            r."onlineUrl", r."startsAt"::timestamptz AT TIME ZONE 'UTC',
            r."endsAt"::timestamptz AT TIME ZONE 'UTC', r."seriesId", r.capacity, r.minimum,
            r."decisionAt"::timestamptz AT TIME ZONE 'UTC', r.scope,
            ARRAY(SELECT jsonb_array_elements_text(r.prerequisites)), r.grants->>'type',
            (r.grants->>'validityDays')::int, r."trainerName", r."cancelDeadlineMinutes",
            r."offerHours", r.status, r."cancelReasonCode", (r.seats->>'taken')::int,
            (r.seats->>'waitlisted')::int, (r.seats->>'attended')::int,
            (r.seats->>'noShow')::int, now() AT TIME ZONE 'UTC',
            coalesce(s.fabrique_id, s.id), coalesce(v.fabrique_id, v.id),
            coalesce(v.commune_code, s.commune_code), coalesce(v.department_code, s.department_code),
            coalesce(v.region_code, s.region_code)
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, "spaceId" text, title text, topic text,
       tags jsonb, description text, "venueSpaceId" text, "onlineUrl" text, "startsAt" text,
       "endsAt" text, "seriesId" text, capacity int, minimum int, "decisionAt" text, scope text,
       prerequisites jsonb, grants jsonb, "trainerName" text, "cancelDeadlineMinutes" int,
       "offerHours" int, status text, "cancelReasonCode" text, seats jsonb)
     JOIN space s ON s.id = r."spaceId"
     LEFT JOIN space v ON v.id = r."venueSpaceId"
     ON CONFLICT (id) DO UPDATE SET
       space_id = EXCLUDED.space_id, title = EXCLUDED.title, topic = EXCLUDED.topic,
       tags = EXCLUDED.tags, description = EXCLUDED.description,
       venue_space_id = EXCLUDED.venue_space_id, online_url = EXCLUDED.online_url,
       starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at,
       series_id = EXCLUDED.series_id, capacity = EXCLUDED.capacity,
       minimum = EXCLUDED.minimum, decision_at = EXCLUDED.decision_at, scope = EXCLUDED.scope,
       prerequisites = EXCLUDED.prerequisites, grants_type = EXCLUDED.grants_type,
       grants_validity_days = EXCLUDED.grants_validity_days,
       trainer_name = EXCLUDED.trainer_name,
       cancel_deadline_minutes = EXCLUDED.cancel_deadline_minutes,
       offer_hours = EXCLUDED.offer_hours, status = EXCLUDED.status,
       cancel_reason_code = EXCLUDED.cancel_reason_code, taken = EXCLUDED.taken,
       waitlisted = EXCLUDED.waitlisted, attended = EXCLUDED.attended,
       no_show = EXCLUDED.no_show, updated_at = EXCLUDED.updated_at,
       network_id = EXCLUDED.network_id, venue_network_id = EXCLUDED.venue_network_id,
       place_commune_code = EXCLUDED.place_commune_code,
       place_department_code = EXCLUDED.place_department_code,
       place_region_code = EXCLUDED.place_region_code
     WHERE training.owner_node_id = EXCLUDED.owner_node_id`,
    [JSON.stringify(rows.map((r) => ({ id: r.id, ...r.training }))), nodeId],
  );
}

/**
 * Records requests as their requester sends them: created as sent; afterwards only the
 * acceptance of an offer and the withdrawal change (the terms never do).
 */
export async function upsertEnrolmentRequests(
  sql: Sql,
  rows: {
    id: string;
    requesterNodeId: string;
    ownerNodeId: string;
    requestedAt: string;
    request: EnrolmentRequestPayload;
  }[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `INSERT INTO enrolment_request (id, requester_node_id, owner_node_id, training_id, member_id,
                                    accept_offer, cancelled, requested_at, updated_at)
     SELECT r.id, r."requesterNodeId", r."ownerNodeId", r."trainingId", r."memberId",
            r."acceptOffer", r.cancelled, r."requestedAt"::timestamptz AT TIME ZONE 'UTC',
            now() AT TIME ZONE 'UTC'
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, "requesterNodeId" text, "ownerNodeId" text,
       "trainingId" text, "memberId" text, "acceptOffer" boolean, cancelled boolean,
       "requestedAt" text)
     ON CONFLICT (id) DO UPDATE SET
       accept_offer = EXCLUDED.accept_offer, cancelled = EXCLUDED.cancelled,
       updated_at = EXCLUDED.updated_at
     WHERE enrolment_request.requester_node_id = EXCLUDED.requester_node_id`,
    [
      JSON.stringify(
        rows.map((r) => ({
          id: r.id,
          requesterNodeId: r.requesterNodeId,
          ownerNodeId: r.ownerNodeId,
          requestedAt: r.requestedAt,
          trainingId: r.request.trainingId,
          memberId: r.request.memberId,
          acceptOffer: r.request.acceptOffer,
          cancelled: r.request.cancelled,
        })),
      ),
    ],
  );
}

/** Inserts or replaces enrolments (each id at most once per call), their organiser's only. */
export async function upsertEnrolments(
  sql: Sql,
  nodeId: string,
  rows: { id: string; memberNodeId: string | null; enrolment: EnrolmentPayload }[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `INSERT INTO enrolment (id, training_id, owner_node_id, member_id, member_node_id, status,
                            position, offer_expires_at, reason_code, reason, credential_id,
                            requested_at, updated_at)
     SELECT r.id, r."trainingId", $2, r."memberId", r."memberNodeId", r.status, r.position,
            r."offerExpiresAt"::timestamptz AT TIME ZONE 'UTC', r."reasonCode", r.reason,
            r."credentialId", r."requestedAt"::timestamptz AT TIME ZONE 'UTC',
            r."updatedAt"::timestamptz AT TIME ZONE 'UTC'
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, "trainingId" text, "memberId" text,
       "memberNodeId" text, status text, position int, "offerExpiresAt" text, "reasonCode" text,
       reason text, "credentialId" text, "requestedAt" text, "updatedAt" text)
     ON CONFLICT (id) DO UPDATE SET
       member_node_id = EXCLUDED.member_node_id, status = EXCLUDED.status,
       position = EXCLUDED.position, offer_expires_at = EXCLUDED.offer_expires_at,
       reason_code = EXCLUDED.reason_code, reason = EXCLUDED.reason,
       credential_id = EXCLUDED.credential_id, requested_at = EXCLUDED.requested_at,
       updated_at = EXCLUDED.updated_at
     WHERE enrolment.owner_node_id = EXCLUDED.owner_node_id`,
    [
      JSON.stringify(rows.map((r) => ({ id: r.id, memberNodeId: r.memberNodeId, ...r.enrolment }))),
      nodeId,
    ],
  );
}
