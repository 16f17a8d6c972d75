import {
  type BookingPayload,
  type BookingRequestPayload,
  type CredentialPayload,
  type ResourcePayload,
  resourcePayloadOf,
  SCHEMA_VERSION,
} from "@maillage/schema";
import { ulid } from "ulid";
import type { LogEntry, Sql } from "../sync/change-log.repository.ts";
import { trainingHandoverEntries } from "../trainings/training-handover.ts";

/**
 * Log entries the hub writes itself for shared resources, their payloads rebuilt from its
 * rows:
 * - handovers at re-enrolment: origin NULL, target = the new node, which adopts the record;
 * - re-announcements: origin = the owner node, seq NULL, target NULL (every other node), so
 *   that replicas learn a resource's new owner, or get again the slots of a resource shared
 *   anew;
 * - a request routed again at re-enrolment: origin = its requester, target = the new node.
 */

type Timestamp = Date | string;
const iso = (value: Timestamp): string =>
  (value instanceof Date ? value : new Date(value)).toISOString();

type ResourceRecord = ResourcePayload & { id: string };
type BookingRecord = BookingPayload & { id: string };
type CredentialRecord = CredentialPayload & { id: string };

const SHARED = `sharing_scope IN ('NETWORK', 'NATIONAL')`;

/** Every resource a node owns, whole (as RESOURCE payloads), by id. */
export async function resourcesOwnedBy(sql: Sql, nodeId: string): Promise<ResourceRecord[]> {
  const rows = await sql.query<ResourceRecord>(
    `SELECT id, space_id AS "spaceId", name, category, description,
            sharing_scope AS "sharingScope", required_credential AS "requiredCredential",
            min_minutes AS "minMinutes", max_minutes AS "maxMinutes", lead_minutes AS "leadMinutes",
            cancel_deadline_minutes AS "cancelDeadlineMinutes", status, movable,
            approval_required AS "approvalRequired", windows, closures
     FROM resource WHERE owner_node_id = $1 ORDER BY id`,
    [nodeId],
  );
  return rows.map((r) => ({ id: r.id, ...resourcePayloadOf(r) }));
}

export const isShared = (r: { sharingScope: string }) =>
  r.sharingScope === "NETWORK" || r.sharingScope === "NATIONAL";

/**
 * CONFIRMED bookings ending in the future (as BOOKING payloads), by id: those a node owns
 * (`ownerNodeId`), or those of some resources (`resourceIds`, shared ones only).
 */
export async function futureBookings(
  sql: Sql,
  of: { ownerNodeId: string } | { resourceIds: string[] },
): Promise<BookingRecord[]> {
  if ("resourceIds" in of && of.resourceIds.length === 0) return [];
  const where =
    "ownerNodeId" in of
      ? "b.owner_node_id = $1"
      : `b.resource_id = ANY($1::text[]) AND b.resource_id IN (SELECT id FROM resource WHERE ${SHARED})`;
  const rows = await sql.query<{
    id: string;
    resourceId: string;
    kind: BookingPayload["kind"];
    startsAt: Timestamp;
    endsAt: Timestamp;
    requestId: string | null;
  }>(
    `SELECT b.id, b.resource_id AS "resourceId", b.kind,
            b.starts_at AT TIME ZONE 'UTC' AS "startsAt", b.ends_at AT TIME ZONE 'UTC' AS "endsAt",
            b.request_id AS "requestId"
     FROM booking b
     WHERE ${where} AND b.status = 'CONFIRMED' AND b.ends_at > now() AT TIME ZONE 'UTC'
     ORDER BY b.resource_id, b.starts_at, b.id`,
    ["ownerNodeId" in of ? of.ownerNodeId : of.resourceIds],
  );
  return rows.map((r) => ({
    id: r.id,
    resourceId: r.resourceId,
    kind: r.kind,
    startsAt: iso(r.startsAt),
    endsAt: iso(r.endsAt),
    status: "CONFIRMED",
    requestId: r.requestId,
  }));
}

/**
 * The credentials a re-enrolled node takes over (as CREDENTIAL payloads): those of the members
 * homed in its fabrique's network but the ones another node's training issued (their issuer
 * keeps them), and those its own trainings issued to any network's members.
 */
export async function credentialsOfNetwork(
  sql: Sql,
  fabriqueId: string,
  nodeId: string,
): Promise<CredentialRecord[]> {
  const rows = await sql.query<{
    id: string;
    memberId: string;
    type: string;
    issuedAt: Timestamp;
    expiresAt: Timestamp | null;
    trainingId: string | null;
    vc: string | null;
  }>(
    `SELECT c.id, c.member_id AS "memberId", c.type,
            c.issued_at AT TIME ZONE 'UTC' AS "issuedAt",
            c.expires_at AT TIME ZONE 'UTC' AS "expiresAt",
            c.training_id AS "trainingId", c.vc
     FROM credential c
     JOIN member m ON m.id = c.member_id
     JOIN space s ON s.id = m.home_space_id
     WHERE ((s.id = $1 OR s.fabrique_id = $1)
            AND (c.training_id IS NULL OR c.owner_node_id = $2))
        OR c.owner_node_id = $2
     ORDER BY c.id`,
    [fabriqueId, nodeId],
  );
  return rows.map((r) => ({
    id: r.id,
    memberId: r.memberId,
    type: r.type,
    issuedAt: iso(r.issuedAt),
    expiresAt: r.expiresAt === null ? null : iso(r.expiresAt),
    trainingId: r.trainingId,
    vc: r.vc,
  }));
}

/**
 * The requests a node answers (as BOOKING_REQUEST payloads, with their requester, by id): those
 * still waiting for its decision (PENDING, not withdrawn), and those it CONFIRMED whose
 * CONFIRMED booking (booking.request_id = the request) ends in the future, withdrawn or not
 * (`cancelled` as stored: a withdrawal the hub holds is still the owner's to process). At a
 * re-enrolment they are routed again, to the new node, which then knows of every request it may
 * still have to decide, cancel or lend for.
 */
export async function pendingOrUpcomingRequestsTo(
  sql: Sql,
  ownerNodeId: string,
): Promise<(BookingRequestPayload & { id: string; requesterNodeId: string })[]> {
  const rows = await sql.query<{
    id: string;
    requesterNodeId: string;
    resourceId: string;
    kind: BookingRequestPayload["kind"];
    startsAt: Timestamp;
    endsAt: Timestamp;
    forMemberId: string | null;
    forSpaceId: string | null;
    cancelled: boolean;
  }>(
    `SELECT q.id, q.requester_node_id AS "requesterNodeId", q.resource_id AS "resourceId", q.kind,
            q.starts_at AT TIME ZONE 'UTC' AS "startsAt", q.ends_at AT TIME ZONE 'UTC' AS "endsAt",
            q.for_member_id AS "forMemberId", q.for_space_id AS "forSpaceId", q.cancelled
     FROM booking_request q
     WHERE q.owner_node_id = $1
       AND ((q.status = 'PENDING' AND NOT q.cancelled)
            OR (q.status = 'CONFIRMED' AND EXISTS (
                  SELECT 1 FROM booking b
                  WHERE b.request_id = q.id AND b.status = 'CONFIRMED'
                    AND b.ends_at > now() AT TIME ZONE 'UTC')))
     ORDER BY q.id`,
    [ownerNodeId],
  );
  return rows.map((r) => ({
    id: r.id,
    requesterNodeId: r.requesterNodeId,
    resourceId: r.resourceId,
    kind: r.kind,
    startsAt: iso(r.startsAt),
    endsAt: iso(r.endsAt),
    forMemberId: r.forMemberId,
    forSpaceId: r.forSpaceId,
    cancelled: r.cancelled,
  }));
}

/** A log entry the hub writes for a record (see the file's comment for the two kinds). */
export function hubEntry(
  entity: "RESOURCE" | "BOOKING" | "CREDENTIAL" | "BOOKING_REQUEST",
  record: { id: string },
  route: { originNodeId: string | null; targetNodeId: string | null },
): LogEntry {
  const { id, ...payload } = record;
  return {
    eventId: ulid(),
    originNodeId: route.originNodeId,
    seq: null,
    entity,
    entityId: id,
    op: "UPSERT",
    payload,
    occurredAt: new Date().toISOString(),
    schemaVersion: SCHEMA_VERSION,
    targetNodeId: route.targetNodeId,
  };
}

/**
 * A re-enrolled node's shared-resource records, in the re-enrolment's transaction (after the
 * owner ids were rewritten): handed over to the new node (its resources, their CONFIRMED
 * bookings ending in the future, its members' credentials), the requests still waiting for its
 * decision or answered by one of those bookings routed to it again (as their requesters sent
 * them, withdrawals included), then each of its shared
 * resources re-announced to every other node with the new node as origin; last, its trainings
 * not ended yet, their places and the other networks' requests for them, likewise
 * (trainings/training-handover.ts).
 */
export async function resourceHandoverEntries(
  sql: Sql,
  nodeId: string,
  fabriqueId: string,
): Promise<LogEntry[]> {
  const resources = await resourcesOwnedBy(sql, nodeId);
  const bookings = await futureBookings(sql, { ownerNodeId: nodeId });
  const credentials = await credentialsOfNetwork(sql, fabriqueId, nodeId);
  const requests = await pendingOrUpcomingRequestsTo(sql, nodeId);
  const handover = { originNodeId: null, targetNodeId: nodeId };
  return [
    ...resources.map((r) => hubEntry("RESOURCE", r, handover)),
    ...bookings.map((b) => hubEntry("BOOKING", b, handover)),
    ...credentials.map((c) => hubEntry("CREDENTIAL", c, handover)),
    // Routed again as their requester sent them, after the bookings that answer some of them:
    // the new node decides the waiting ones, and confirms again (or processes the withdrawal
    // of) those a handed-over booking answers.
    ...requests.map(({ requesterNodeId, ...request }) =>
      hubEntry("BOOKING_REQUEST", request, { originNodeId: requesterNodeId, targetNodeId: nodeId }),
    ),
    ...resources
      .filter(isShared)
      .map((r) => hubEntry("RESOURCE", r, { originNodeId: nodeId, targetNodeId: null })),
    ...(await trainingHandoverEntries(sql, nodeId)),
  ];
}
