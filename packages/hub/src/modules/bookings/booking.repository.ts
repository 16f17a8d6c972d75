import type {
  BookingDecisionPayload,
  BookingPayload,
  BookingRequestPayload,
} from "@maillage/schema";
import type { BookingUpdateEvent } from "../../realtime/pubsub.ts";
import type { Sql } from "../sync/change-log.repository.ts";
import type { BookingRow, RequestRow } from "../sync/push-handlers.ts";

/**
 * SQL of the shared-resource replicas at the hub: resources, occupied slots, booking requests
 * with their decisions, members' credentials. Timestamps are `timestamp(3)` in UTC: written
 * from ISO strings with `::timestamptz AT TIME ZONE 'UTC'`, read back the same way.
 */

const iso = (value: Date | string | null): string | null =>
  value === null ? null : (value instanceof Date ? value : new Date(value)).toISOString();

export async function bookingsByIds(sql: Sql, ids: string[]): Promise<BookingRow[]> {
  if (ids.length === 0) return [];
  const rows = await sql.query<BookingRow & { starts_at: Date; ends_at: Date }>(
    `SELECT b.id, b.owner_node_id, b.resource_id, b.starts_at AT TIME ZONE 'UTC' AS starts_at,
            b.ends_at AT TIME ZONE 'UTC' AS ends_at, r.sharing_scope AS resource_scope
     FROM booking b LEFT JOIN resource r ON r.id = b.resource_id
     WHERE b.id = ANY($1::text[])`,
    [ids],
  );
  return rows.map((r) => ({
    ...r,
    starts_at: iso(r.starts_at) as string,
    ends_at: iso(r.ends_at) as string,
  }));
}

export async function requestsByIds(sql: Sql, ids: string[]): Promise<RequestRow[]> {
  if (ids.length === 0) return [];
  const rows = await sql.query<RequestRow & { starts_at: Date; ends_at: Date }>(
    `SELECT id, requester_node_id, owner_node_id, resource_id, kind,
            starts_at AT TIME ZONE 'UTC' AS starts_at, ends_at AT TIME ZONE 'UTC' AS ends_at,
            for_member_id, for_space_id, cancelled
     FROM booking_request WHERE id = ANY($1::text[])`,
    [ids],
  );
  return rows.map((r) => ({
    ...r,
    starts_at: iso(r.starts_at) as string,
    ends_at: iso(r.ends_at) as string,
  }));
}

export async function upsertBookings(
  sql: Sql,
  nodeId: string,
  rows: { id: string; booking: BookingPayload }[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `INSERT INTO booking (id, resource_id, owner_node_id, kind, starts_at, ends_at, status,
                          request_id, updated_at)
     SELECT r.id, r."resourceId", $2, r.kind, r."startsAt"::timestamptz AT TIME ZONE 'UTC',
            r."endsAt"::timestamptz AT TIME ZONE 'UTC', r.status, r."requestId",
            now() AT TIME ZONE 'UTC'
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, "resourceId" text, kind text,
       "startsAt" text, "endsAt" text, status text, "requestId" text)
     ON CONFLICT (id) DO UPDATE SET
       resource_id = EXCLUDED.resource_id, kind = EXCLUDED.kind, starts_at = EXCLUDED.starts_at,
       ends_at = EXCLUDED.ends_at, status = EXCLUDED.status, request_id = EXCLUDED.request_id,
       updated_at = EXCLUDED.updated_at
     WHERE booking.owner_node_id = EXCLUDED.owner_node_id`,
    [JSON.stringify(rows.map((r) => ({ id: r.id, ...r.booking }))), nodeId],
  );
}

export async function deleteBookings(sql: Sql, nodeId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql.query("DELETE FROM booking WHERE id = ANY($1::text[]) AND owner_node_id = $2", [
    ids,
    nodeId,
  ]);
}

/**
 * Records requests as their requester sends them: created PENDING (CANCELLED when withdrawn
 * before anything was decided); afterwards only the withdrawal changes.
 */
export async function upsertRequests(
  sql: Sql,
  rows: {
    id: string;
    requesterNodeId: string;
    ownerNodeId: string;
    requestedAt: string;
    request: BookingRequestPayload;
  }[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `INSERT INTO booking_request (id, requester_node_id, owner_node_id, resource_id, kind,
                                  starts_at, ends_at, for_member_id, for_space_id, cancelled,
                                  status, requested_at, updated_at)
     SELECT r.id, r."requesterNodeId", r."ownerNodeId", r."resourceId", r.kind,
            r."startsAt"::timestamptz AT TIME ZONE 'UTC', r."endsAt"::timestamptz AT TIME ZONE 'UTC',
            r."forMemberId", r."forSpaceId", r.cancelled,
            CASE WHEN r.cancelled THEN 'CANCELLED' ELSE 'PENDING' END,
            r."requestedAt"::timestamptz AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, "requesterNodeId" text, "ownerNodeId" text,
       "resourceId" text, kind text, "startsAt" text, "endsAt" text, "forMemberId" text,
       "forSpaceId" text, cancelled boolean, "requestedAt" text)
     ON CONFLICT (id) DO UPDATE SET
       cancelled = EXCLUDED.cancelled,
       status = CASE WHEN booking_request.status = 'PENDING' AND EXCLUDED.cancelled
                     THEN 'CANCELLED' ELSE booking_request.status END,
       updated_at = EXCLUDED.updated_at
     WHERE booking_request.requester_node_id = EXCLUDED.requester_node_id`,
    [
      JSON.stringify(
        rows.map((r) => ({
          id: r.id,
          requesterNodeId: r.requesterNodeId,
          ownerNodeId: r.ownerNodeId,
          requestedAt: r.requestedAt,
          ...r.request,
        })),
      ),
    ],
  );
}

/** The owner's answers: each replaces what the request said of its decision. */
export async function applyDecisions(
  sql: Sql,
  nodeId: string,
  rows: { id: string; decision: BookingDecisionPayload }[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `UPDATE booking_request AS q SET
       status = d.status, reason = d.reason, reason_code = d."reasonCode",
       booking_id = d."bookingId", loan = d.loan,
       decided_at = d."decidedAt"::timestamptz AT TIME ZONE 'UTC',
       updated_at = now() AT TIME ZONE 'UTC'
     FROM jsonb_to_recordset($1::jsonb) AS d(id text, "resourceId" text, status text, reason text,
       "reasonCode" text, "bookingId" text, loan jsonb, "decidedAt" text)
     WHERE q.id = d.id AND q.resource_id = d."resourceId"
       AND EXISTS (SELECT 1 FROM resource r WHERE r.id = q.resource_id AND r.owner_node_id = $2)`,
    [JSON.stringify(rows.map((r) => ({ id: r.id, ...r.decision }))), nodeId],
  );
}

// ── Reading requests for the teams of both sides ──────────────────────────────────────────

type RequestView = {
  id: string;
  resource_id: string;
  kind: string;
  status: string;
  cancelled: boolean;
  reason: string | null;
  reason_code: string | null;
  booking_id: string | null;
  loan: BookingUpdateEvent["loan"];
  starts_at: Date;
  ends_at: Date;
  for_member_id: string | null;
  for_space_id: string | null;
  requester_node_id: string;
  owner_node_id: string;
  requester_fabrique_id: string | null;
  owner_fabrique_id: string | null;
  requested_at: Date;
  decided_at: Date | null;
  updated_at: Date;
};

/** A booking request as both teams see it; instants as ISO strings (it crosses Redis). */
export type BookingRequestView = BookingUpdateEvent;

/**
 * Requests matching `where` (on `q`, the booking_request row) with the fabriques of both
 * sides: the requester's is its node's (or, should the node row be gone, the network of the
 * space or member it is for); the owner's is the network of the resource's host space.
 */
const requestView = (where: string) => `
  SELECT q.id, q.resource_id, q.requester_node_id, q.owner_node_id, q.kind, q.status,
         q.cancelled, q.reason, q.reason_code,
         q.booking_id, q.loan, q.starts_at AT TIME ZONE 'UTC' AS starts_at,
         q.ends_at AT TIME ZONE 'UTC' AS ends_at, q.for_member_id, q.for_space_id,
         coalesce(rn.fabrique_id, fs.fabrique_id, fs.id, hs.fabrique_id, hs.id) AS requester_fabrique_id,
         coalesce(rs.fabrique_id, rs.id, onode.fabrique_id) AS owner_fabrique_id,
         q.requested_at AT TIME ZONE 'UTC' AS requested_at,
         q.decided_at AT TIME ZONE 'UTC' AS decided_at,
         q.updated_at AT TIME ZONE 'UTC' AS updated_at
  FROM booking_request q
  LEFT JOIN node rn ON rn.id = q.requester_node_id
  LEFT JOIN node onode ON onode.id = q.owner_node_id
  LEFT JOIN space fs ON fs.id = q.for_space_id
  LEFT JOIN member m ON m.id = q.for_member_id
  LEFT JOIN space hs ON hs.id = m.home_space_id
  LEFT JOIN resource res ON res.id = q.resource_id
  LEFT JOIN space rs ON rs.id = res.space_id
  WHERE ${where}`;

function toView(r: RequestView): BookingRequestView {
  return {
    requestId: r.id,
    resourceId: r.resource_id,
    requesterNodeId: r.requester_node_id,
    ownerNodeId: r.owner_node_id,
    kind: r.kind,
    status: r.status,
    cancelled: r.cancelled,
    reason: r.reason,
    reasonCode: r.reason_code,
    bookingId: r.booking_id,
    loan: r.loan,
    startsAt: iso(r.starts_at) as string,
    endsAt: iso(r.ends_at) as string,
    forMemberId: r.for_member_id,
    forSpaceId: r.for_space_id,
    requesterFabriqueId: r.requester_fabrique_id ?? "",
    ownerFabriqueId: r.owner_fabrique_id ?? "",
    requestedAt: iso(r.requested_at) as string,
    decidedAt: iso(r.decided_at),
    updatedAt: iso(r.updated_at) as string,
  };
}

export async function bookingRequestViews(sql: Sql, ids: string[]): Promise<BookingRequestView[]> {
  if (ids.length === 0) return [];
  const rows = await sql.query<RequestView>(
    `${requestView("q.id = ANY($1::text[])")} ORDER BY q.id`,
    [ids],
  );
  return rows.map(toView);
}

/**
 * One page of the requests where `fabriqueId` is the requester or the owner, newest id first
 * (`inverted`: oldest first, for `last`/`before`), between the cursors. Every request comes
 * from a node and is for a node's resource, so both sides are the fabrique's node: one page
 * of each side by index ((requester_node_id, id), (owner_node_id, id)), merged. A fabrique
 * without a node has no requests.
 */
export async function bookingRequestsOf(
  sql: Sql,
  fabriqueId: string,
  page: {
    status: string | null;
    after: string | null;
    before: string | null;
    limit: number;
    inverted: boolean;
  },
): Promise<BookingRequestView[]> {
  const order = page.inverted ? "ASC" : "DESC";
  const side = (column: string) => `(
    SELECT q.id FROM booking_request q
    WHERE q.${column} = (SELECT id FROM node WHERE fabrique_id = $1)
      AND ($2::text IS NULL OR q.status = $2)
      AND ($3::text IS NULL OR q.id < $3)
      AND ($4::text IS NULL OR q.id > $4)
    ORDER BY q.id ${order} LIMIT $5)`;
  const rows = await sql.query<RequestView>(
    `${requestView(`q.id IN (${side("requester_node_id")} UNION ${side("owner_node_id")})`)}
     ORDER BY q.id ${order} LIMIT $5`,
    [fabriqueId, page.status, page.after, page.before, page.limit],
  );
  return rows.map(toView);
}

/** Sharing scope and owner network of resources, to address availability changes. */
export async function resourceAudience(
  sql: Sql,
  ids: string[],
): Promise<{ id: string; sharing_scope: string; network_id: string }[]> {
  if (ids.length === 0) return [];
  return sql.query(
    `SELECT r.id, r.sharing_scope, coalesce(s.fabrique_id, s.id) AS network_id
     FROM resource r JOIN space s ON s.id = r.space_id WHERE r.id = ANY($1::text[])`,
    [ids],
  );
}
