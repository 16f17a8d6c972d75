import {
  BookingDecisionPayload,
  BookingPayload,
  BookingRequestPayload,
  CredentialPayload,
  type PulledEvent,
  ResourcePayload,
} from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";
import {
  type BookingRequestRecord,
  bookingRequestRepository,
} from "../bookings/booking-request.repository.ts";
import { credentialRepository } from "./credential.repository.ts";
import type { Publications } from "./live.ts";
import {
  type BookingRecord,
  EXCLUSION_VIOLATION,
  resourceRepository,
} from "./resource.repository.ts";

/**
 * Pulled events of shared resources, applied in the pull transaction (sync/apply.ts calls this
 * for every event of another node addressed to this one, or to all):
 * - RESOURCE, BOOKING, CREDENTIAL: replicas, upserted (this node's own records are never
 *   overwritten); a replica never blocks a pull: no exclusion constraint on replicated
 *   occupancy, and an event that cannot be stored is skipped (savepoint) and reported.
 *   A RESOURCE saying LOCAL (the hub's last broadcast when a shared resource goes back to its
 *   own network) deletes the replica and its occupancy: another network's LOCAL resource is
 *   never kept here. A RESOURCE from a new origin (its owner re-enrolled) moves the replica,
 *   and this node's outgoing requests for it, to that node. Occupancy of a resource unknown
 *   here is not kept (the hub sends a resource before its bookings).
 * - Handovers (no origin, addressed to this node: it was re-enrolled and the hub gives back
 *   what its fabrique owned): a RESOURCE is adopted as owned; a BOOKING of a resource owned
 *   here becomes a booking row (the owner's truth; one overlapping a confirmed booking here is
 *   skipped and reported, never breaking the pull); a CREDENTIAL becomes owned.
 * - BOOKING_REQUEST (routed to this node, the resource's owner): stored INCOMING, PENDING (or
 *   CANCELLED if it arrives withdrawn). A request re-routed after a re-enrolment may be
 *   answered by a booking handed over here: PENDING still, the decider answers CONFIRMED with
 *   that booking (and sends the decision); withdrawn, it is stored CONFIRMED with the cancel
 *   requested (the decider frees the slot, answers CANCELLED). A later withdrawal cancels a PENDING one at once; a
 *   CONFIRMED one is marked, and the automatic decider frees the slot and answers after the pull.
 *   A request for a resource this node does not own is ignored: it cannot decide it.
 * - BOOKING_DECISION (routed to this node, the requester): copied onto the OUTGOING request;
 *   a request this node withdrew stays CANCELLED (the owner's CANCELLED answer follows),
 *   unless the owner answers with a loan handed over (the withdrawal crossed the check-out):
 *   the owner is the truth for where the object is, and the request is CONFIRMED again.
 */
export type ResourceAppliedAs =
  | "replica"
  | "kept-owned"
  | "request"
  | "decision"
  | "handover"
  | "deleted"
  | "not-needed"
  | "skipped";

export const RESOURCE_ENTITIES = new Set([
  "RESOURCE",
  "BOOKING",
  "CREDENTIAL",
  "BOOKING_REQUEST",
  "BOOKING_DECISION",
]);

function dateOrNull(s: string | null): Date | null {
  return s === null ? null : new Date(s);
}

/**
 * A withdrawn request answered by a booking handed over here: CONFIRMED by that booking and
 * marked, so that the decider frees the slot and answers CANCELLED.
 */
async function withdrawAnswered(
  tx: SqlSession,
  requestId: string,
  answered: BookingRecord,
): Promise<BookingRequestRecord> {
  await bookingRequestRepository.decide(tx, requestId, {
    status: "CONFIRMED",
    reason: null,
    reasonCode: null,
    bookingId: answered.id,
    loan: answered.loan,
    decidedAt: answered.createdAt,
  });
  return bookingRequestRepository.markCancelRequested(tx, requestId);
}

async function applyOne(
  tx: SqlSession,
  nodeId: string,
  event: PulledEvent,
  pubs: Publications,
): Promise<ResourceAppliedAs> {
  const origin = event.originNodeId;
  const handover = origin === null && event.targetNodeId === nodeId;
  switch (event.entity) {
    case "RESOURCE": {
      if (event.op === "DELETE") return "skipped"; // never happens: a resource is RETIRED
      const state = ResourcePayload.parse(event.payload);
      if (handover) {
        const adopted = await resourceRepository.adoptHandover(tx, event.entityId, state);
        if (adopted) pubs.availability(event.entityId, null, null);
        return adopted ? "handover" : "kept-owned";
      }
      if (state.sharingScope === "LOCAL") {
        const deleted = await resourceRepository.deleteReplica(tx, event.entityId);
        if (deleted) {
          pubs.availability(event.entityId, null, null);
          return "deleted";
        }
        return (await resourceRepository.find(tx, event.entityId)) ? "kept-owned" : "not-needed";
      }
      const written = await resourceRepository.upsertReplica(tx, event.entityId, origin, state);
      if (!written) return "kept-owned";
      if (origin !== null) await bookingRequestRepository.followOwner(tx, event.entityId, origin);
      pubs.availability(event.entityId, null, null);
      return "replica";
    }
    case "BOOKING": {
      if (event.op === "DELETE") {
        const resourceId = await resourceRepository.deleteReplicaBooking(tx, event.entityId);
        if (resourceId) pubs.availability(resourceId, null, null);
        return "replica";
      }
      const state = BookingPayload.parse(event.payload);
      const resource = await resourceRepository.find(tx, state.resourceId);
      const slot = [new Date(state.startsAt), new Date(state.endsAt)] as const;
      if (handover) {
        if (!resource?.owned) {
          throw new Error(
            `handover booking ${event.entityId}: resource ${state.resourceId} is not this node's`,
          );
        }
        let adopted: boolean;
        try {
          adopted = await resourceRepository.adoptHandoverBooking(
            tx,
            event.entityId,
            resource.spaceId,
            state,
          );
        } catch (error) {
          if ((error as { code?: unknown } | null)?.code !== EXCLUSION_VIOLATION) throw error;
          throw new Error(
            `handover booking ${event.entityId} of resource ${state.resourceId} overlaps a confirmed booking here: not adopted`,
            { cause: error },
          );
        }
        if (adopted) pubs.availability(state.resourceId, ...slot);
        return adopted ? "handover" : "kept-owned";
      }
      if (resource?.owned) return "kept-owned"; // this node's own bookings are the truth
      if (!resource) return "not-needed"; // unknown here (or another network's LOCAL one)
      await resourceRepository.upsertReplicaBooking(tx, event.entityId, origin, state);
      pubs.availability(state.resourceId, ...slot);
      return "replica";
    }
    case "CREDENTIAL": {
      if (event.op === "DELETE") {
        await credentialRepository.deleteReplica(tx, event.entityId);
        return "replica";
      }
      const state = CredentialPayload.parse(event.payload);
      if (handover) {
        const adopted = await credentialRepository.adoptHandover(tx, event.entityId, state);
        return adopted ? "handover" : "kept-owned";
      }
      const written = await credentialRepository.upsertReplica(tx, event.entityId, state);
      return written ? "replica" : "kept-owned";
    }
    case "BOOKING_REQUEST": {
      if (event.op === "DELETE") return "skipped";
      const state = BookingRequestPayload.parse(event.payload);
      const resource = await resourceRepository.find(tx, state.resourceId);
      if (!resource?.owned) return "skipped";
      const existing = await bookingRequestRepository.findForUpdate(tx, event.entityId);
      if (!existing) {
        // A withdrawn request this node never saw but already answers (its slot came with a
        // handover: a re-enrolment replaced the node that confirmed it) stands CONFIRMED and
        // marked: the decider frees the slot and answers CANCELLED. One not withdrawn stays
        // PENDING even so: the decider answers it with that booking (its BOOKING_DECISION goes
        // through the outbox, which the pull has not), whether or not the hub had the answer.
        const answered = state.cancelled
          ? await resourceRepository.confirmedOfRequest(tx, event.entityId)
          : undefined;
        let stored = await bookingRequestRepository.insert(tx, {
          id: event.entityId,
          direction: "INCOMING",
          resourceId: state.resourceId,
          kind: state.kind,
          from: new Date(state.startsAt),
          to: new Date(state.endsAt),
          forMember: state.forMemberId,
          forSpace: state.forSpaceId,
          requesterNodeId: origin ?? "hub",
          ownerNodeId: nodeId,
          status: state.cancelled && !answered ? "CANCELLED" : "PENDING",
          createdAt: new Date(event.occurredAt),
        });
        if (answered) stored = await withdrawAnswered(tx, stored.id, answered);
        pubs.request(stored);
        return "request";
      }
      if (existing.direction !== "INCOMING" || !state.cancelled) return "request";
      let changed: BookingRequestRecord | undefined;
      const answered =
        existing.status === "PENDING"
          ? await resourceRepository.confirmedOfRequest(tx, existing.id)
          : undefined;
      if (answered) {
        // Answered by a booking handed over here, not decided yet: it holds a slot, which the
        // decider frees (then answers CANCELLED) like any withdrawn confirmed request's.
        changed = await withdrawAnswered(tx, existing.id, answered);
      } else if (existing.status === "PENDING") {
        changed = await bookingRequestRepository.cancel(tx, existing.id);
      } else if (existing.status === "CONFIRMED" && !existing.cancelRequested) {
        changed = await bookingRequestRepository.markCancelRequested(tx, existing.id);
      }
      if (changed) pubs.request(changed);
      return "request";
    }
    case "BOOKING_DECISION": {
      if (event.op === "DELETE") return "skipped";
      const state = BookingDecisionPayload.parse(event.payload);
      const request = await bookingRequestRepository.findForUpdate(tx, event.entityId);
      if (request?.direction !== "OUTGOING") return "skipped";
      if (request.ownerNodeId !== null && origin !== null && origin !== request.ownerNodeId) {
        return "skipped"; // only the resource's owner decides
      }
      const handedOver =
        state.status === "CONFIRMED" && state.loan !== null && state.loan.status !== "CONFIRMED";
      if (request.status === "CANCELLED" && state.status !== "CANCELLED" && !handedOver) {
        return "decision"; // withdrawn here; the owner's CANCELLED answer is on its way
      }
      // A loan handed over (or back) while the withdrawal travelled: the owner knows where the
      // object is, and its state stands (the request is CONFIRMED again).
      const decided = await bookingRequestRepository.decide(tx, request.id, {
        status: state.status,
        reason: state.reason,
        reasonCode: state.reasonCode,
        bookingId: state.bookingId,
        loan:
          state.loan === null
            ? null
            : {
                status: state.loan.status,
                holderSpaceId: state.loan.holderSpaceId,
                checkedOutAt: dateOrNull(state.loan.checkedOutAt),
                returnedAt: dateOrNull(state.loan.returnedAt),
              },
        decidedAt: new Date(state.decidedAt),
      });
      pubs.request(decided);
      return "decision";
    }
    default:
      return "skipped";
  }
}

/**
 * Applies one pulled event of a shared-resource entity. Whatever happens, the pull goes on:
 * a payload that breaks the contract or a row the store refuses is skipped (its statements
 * rolled back to a savepoint) and reported through `onSkipped`.
 */
export async function applyResourceEvent(
  tx: SqlSession,
  nodeId: string,
  event: PulledEvent,
  pubs: Publications,
  onSkipped: (error: unknown) => void = () => {},
): Promise<ResourceAppliedAs> {
  await tx.query("SAVEPOINT resource_event");
  const before = pubs.items.length;
  try {
    const applied = await applyOne(tx, nodeId, event, pubs);
    await tx.query("RELEASE SAVEPOINT resource_event");
    return applied;
  } catch (error) {
    await tx.query("ROLLBACK TO SAVEPOINT resource_event");
    pubs.items.length = before;
    onSkipped(error);
    return "skipped";
  }
}
