import type { BookingDecisionPayload, BookingRequestPayload } from "@maillage/schema";
import {
  type EntityHandler,
  inNodeNetwork,
  OK,
  type RequestRow,
  refuse,
  type Verdict,
} from "../sync/push-handlers.ts";
import * as repo from "./booking.repository.ts";

/**
 * The cross-node road of a booking: a BOOKING_REQUEST, owned by the requester's node, goes to
 * the resource's owner only (whatever the resource's scope: a LOCAL resource's owner declines
 * it); the BOOKING_DECISION (same id), owned by the resource's node, goes back to the
 * requester only.
 */

const sameInstant = (a: string, b: string) => Date.parse(a) === Date.parse(b);

/** What a request may not change once created: everything but its withdrawal. */
function changedTerms(existing: RequestRow, request: BookingRequestPayload): string | undefined {
  if (existing.resource_id !== request.resourceId) return "resourceId";
  if (existing.kind !== request.kind) return "kind";
  if (!sameInstant(existing.starts_at, request.startsAt)) return "startsAt";
  if (!sameInstant(existing.ends_at, request.endsAt)) return "endsAt";
  if (existing.for_member_id !== request.forMemberId) return "forMemberId";
  if (existing.for_space_id !== request.forSpaceId) return "forSpaceId";
  return undefined;
}

export const bookingRequestHandler: EntityHandler = {
  want(event, wanted) {
    wanted.requests.add(event.entityId);
    if (event.op === "DELETE") return;
    const request = event.payload as BookingRequestPayload;
    wanted.resources.add(request.resourceId);
    if (request.forMemberId !== null) wanted.members.add(request.forMemberId);
    if (request.forSpaceId !== null) wanted.spaces.add(request.forSpaceId);
  },
  check(node, event, known): Verdict {
    if (event.op === "DELETE") {
      return refuse("INVALID_EVENT", "a request is withdrawn with cancelled: true, not deleted");
    }
    const existing = known.requests.get(event.entityId);
    if (existing && existing.requester_node_id !== node.id) {
      return refuse(
        "OWNERSHIP_VIOLATION",
        `BOOKING_REQUEST ${event.entityId} is not owned by node ${node.id}`,
      );
    }
    const request = event.payload as BookingRequestPayload;
    if (existing) {
      // Once sent, a request only gets withdrawn: whatever became of the resource or the
      // member since, the withdrawal must go through.
      const field = changedTerms(existing, request);
      if (field) {
        return refuse("INVALID_EVENT", `${field}: only cancelled may change after a request`);
      }
      if (existing.cancelled && !request.cancelled) {
        return refuse("INVALID_TRANSITION", "a withdrawn request stays withdrawn");
      }
      return OK;
    }
    // A new request arriving already withdrawn changes nothing anywhere: always accepted, so
    // that a withdrawal can never block the requester's outbox, but neither stored nor routed
    // (see accept): unchecked, it may name anything.
    if (request.cancelled) return OK;
    // Refused here: only what a faulty node could send. Whatever depends on state that may
    // change under the requester (the resource's sharing scope or status, the member's
    // credentials, the slot being free) is the owner's to judge: its agent declines the
    // request (RESOURCE_NOT_SHARED, …) and the decision travels back. A refused event would
    // block the requester's outbox for good, its withdrawal included.
    const resource = known.resources.get(request.resourceId);
    if (!resource) return refuse("INVALID_EVENT", `unknown resource ${request.resourceId}`);
    if (resource.owner_node_id === node.id) {
      return refuse("INVALID_EVENT", "a node books its own resources locally, not by request");
    }
    if (request.forMemberId !== null) {
      const member = known.members.get(request.forMemberId);
      if (member?.owner_node_id !== node.id) {
        return refuse(
          "OWNERSHIP_VIOLATION",
          `member ${request.forMemberId} is not a member of this node's network`,
        );
      }
    }
    if (request.forSpaceId !== null && !inNodeNetwork(node, request.forSpaceId, known)) {
      return refuse(
        "OWNERSHIP_VIOLATION",
        `space ${request.forSpaceId} is not in this node's network`,
      );
    }
    return OK;
  },
  accept(node, event, known) {
    const request = event.payload as BookingRequestPayload;
    const existing = known.requests.get(event.entityId);
    // New and already withdrawn: not recorded (apply skips what `known` lacks), its log entry
    // addressed to its own requester, which ignores its echo: nobody else reads it.
    if (!existing && request.cancelled) return { targetNodeId: node.id };
    const ownerNodeId =
      known.resources.get(request.resourceId)?.owner_node_id ?? existing?.owner_node_id ?? "";
    known.requests.set(event.entityId, {
      id: event.entityId,
      requester_node_id: node.id,
      owner_node_id: existing?.owner_node_id ?? ownerNodeId,
      resource_id: request.resourceId,
      kind: request.kind,
      starts_at: existing?.starts_at ?? request.startsAt,
      ends_at: existing?.ends_at ?? request.endsAt,
      for_member_id: request.forMemberId,
      for_space_id: request.forSpaceId,
      cancelled: request.cancelled,
    });
    // To the resource's owner (known: the request was checked, or already stored).
    return { targetNodeId: ownerNodeId || node.id, bookingRequestId: event.entityId };
  },
  async apply(session, node, finals, known) {
    // The last event of a request new and already withdrawn left nothing in `known`.
    const recorded = finals.filter((e) => known.requests.has(e.entityId));
    if (recorded.length === 0) return;
    await repo.upsertRequests(
      session,
      recorded.map((e) => ({
        id: e.entityId,
        requesterNodeId: node.id,
        ownerNodeId: known.requests.get(e.entityId)?.owner_node_id ?? "",
        requestedAt: e.occurredAt,
        request: e.payload as BookingRequestPayload,
      })),
    );
  },
};

export const bookingDecisionHandler: EntityHandler = {
  want(event, wanted) {
    wanted.requests.add(event.entityId);
    if (event.op === "UPSERT") {
      wanted.resources.add((event.payload as BookingDecisionPayload).resourceId);
    }
  },
  check(node, event, known) {
    if (event.op === "DELETE") {
      return refuse("INVALID_EVENT", "a decision changes (CANCELLED), it is never deleted");
    }
    const decision = event.payload as BookingDecisionPayload;
    const request = known.requests.get(event.entityId);
    const resource = known.resources.get(decision.resourceId);
    if (
      !request ||
      request.resource_id !== decision.resourceId ||
      resource?.owner_node_id !== node.id
    ) {
      return refuse(
        "OWNERSHIP_VIOLATION",
        `no request ${event.entityId} for a resource node ${node.id} owns`,
      );
    }
    return OK;
  },
  accept(_node, event, known) {
    const request = known.requests.get(event.entityId);
    return {
      targetNodeId: request?.requester_node_id ?? null,
      bookingRequestId: event.entityId,
    };
  },
  async apply(session, node, finals) {
    await repo.applyDecisions(
      session,
      node.id,
      finals.map((e) => ({ id: e.entityId, decision: e.payload as BookingDecisionPayload })),
    );
  },
};
