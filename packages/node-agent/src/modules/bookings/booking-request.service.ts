import { MaillageError, parseInput } from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import { ulid } from "ulid";
import { z } from "zod";
import type { Viewer } from "../../context.ts";
import type { Logger } from "../../logger.ts";
import type { ChangeLog, LocalWriter } from "../../outbox/local-writer.ts";
import { memberRepository } from "../members/member.repository.ts";
import { Publications, publishAll, type ResourcePubSub } from "../resources/live.ts";
import { type ResourceRecord, resourceRepository } from "../resources/resource.repository.ts";
import {
  answerRequest,
  BookInput,
  canSeeBooking,
  emitBooking,
  isVisible,
} from "../resources/resource.service.ts";
import {
  assertBeforeDeadline,
  assertCredential,
  assertNetworkSpace,
  assertRules,
  placeBooking,
  refused,
} from "../resources/rules.ts";
import {
  type BookingRequestRecord,
  bookingRequestRepository,
  decisionPayloadOf,
  REQUEST_DIRECTIONS,
  REQUEST_STATUSES,
  requestPayloadOf,
} from "./booking-request.repository.ts";

/**
 * Booking requests between nodes (issue 5, point 3): the requester writes a request record it
 * owns, the hub routes it to the resource's owner, the owner answers with a decision it owns.
 *
 * Requester side (OUTGOING):
 * - `requestBooking` / `requestLoan` for another node's resource, checked first against the
 *   replica held here (another network's LOCAL resource is not kept here: NOT_FOUND; status, duration, lead time, windows, a movable resource for a loan; the credential gate
 *   for a member from the replicated credentials), then stored PENDING with its BOOKING_REQUEST
 *   event: it works with the hub down and stays PENDING until the decision comes back.
 * - `cancelBookingRequest`: a PENDING request is CANCELLED at once; a CONFIRMED one until the
 *   resource's cancellation deadline (CANCEL_DEADLINE_PASSED after, nothing written), then
 *   CANCELLED here, and the withdrawal (cancelled: true) travels to the owner.
 *
 * Owner side (INCOMING, stored by the pull):
 * - `decidePending` (at start, after a pull that brought incoming requests or withdrawals, and
 *   every minute as a safety net; one run at a time, calls made during a run share one run
 *   after it): a PENDING request already answered by a booking handed over here (a re-enrolment
 *   replaced the node that placed it) is CONFIRMED with that booking, whatever approvalRequired
 *   says. Other PENDING requests of resources without approvalRequired (one waiting for a
 *   person costs nothing), and those a person could only decline (a LOCAL resource:
 *   RESOURCE_NOT_SHARED; a RETIRED one), are decided by the same rules as `book`, measured at decision time:
 *   CONFIRMED with the booking (or loan) created, or DECLINED with the refusal's message in
 *   `reason` and its documented code in `reasonCode` (SLOT_TAKEN, CREDENTIAL_REQUIRED,
 *   RESOURCE_ON_LOAN, BOOKING_RULE_VIOLATION…). A CONFIRMED request the requester withdrew has
 *   its slot freed and a CANCELLED answer (CANCELLED_BY_REQUESTER), whatever the deadline: the
 *   requester's agent checked it when the person cancelled.
 * - `decideBookingRequest` (the fabrique's team): accepting re-checks every rule (a refusal is
 *   the error, nothing written); declining answers DECLINED (DECLINED_BY_OWNER). Only an
 *   incoming request for a resource of this node: NOT_FOUND for an unknown one, FORBIDDEN for
 *   this node's own outgoing requests; INVALID_TRANSITION once decided.
 */
export type BookingRequestService = ReturnType<typeof createBookingRequestService>;

const Id = z.string().trim().min(1).max(64);

const RequestLoanInput = z
  .object({ resourceId: Id, toSpaceId: Id, startsAt: z.date(), endsAt: z.date() })
  .strict();

const DecideInput = z
  .object({ id: Id, accept: z.boolean(), reason: z.string().trim().max(1000).nullish() })
  .strict();

const ListInput = z
  .object({
    direction: z.enum(REQUEST_DIRECTIONS).nullish(),
    status: z.enum(REQUEST_STATUSES).nullish(),
  })
  .strict();

export function createBookingRequestService(deps: {
  store: SqlStore;
  writer: LocalWriter;
  pubsub: ResourcePubSub;
  fabriqueId: string;
  nodeId: string;
  logger?: Logger | undefined;
  now?: (() => Date) | undefined;
}) {
  const { store, writer, pubsub, fabriqueId, nodeId } = deps;
  const now = deps.now ?? (() => new Date());

  async function writeAndPublish<T>(
    fn: (tx: SqlSession, changes: ChangeLog, pubs: Publications) => Promise<T>,
  ): Promise<T> {
    const pubs = new Publications();
    const result = await writer.write((tx, changes) => fn(tx, changes, pubs));
    publishAll(pubsub, pubs.items);
    return result;
  }

  /** A space of this network, open: the fabrique or a satellite this node owns. */
  function assertOwnSpace(db: SqlSession, spaceId: string, field: string) {
    return assertNetworkSpace(db, fabriqueId, spaceId, {
      forbidden: "a request is made for a space of this fabrique's network",
      details: { field },
    });
  }

  function assertRequester(viewer: Viewer, forSpace: string | undefined) {
    if (viewer.role === "FABRIQUE_ADMIN") return;
    if (viewer.role === "SATELLITE" && forSpace === viewer.spaceId) return;
    throw new MaillageError(
      "FORBIDDEN",
      viewer.role === "SATELLITE"
        ? "a satellite requests for its own space only"
        : "only the fabrique's team or a satellite request resources",
    );
  }

  /** Another node's resource this node may request: its replica, open to other networks. */
  async function requestableResource(db: SqlSession, id: string): Promise<ResourceRecord> {
    const resource = await resourceRepository.find(db, id);
    // Another network's LOCAL resource is not for this node to know of (see isVisible).
    if (!resource || !isVisible(resource)) {
      throw new MaillageError("NOT_FOUND", `no resource ${id}`, { field: "resourceId" });
    }
    if (resource.owned) {
      throw new MaillageError(
        "BAD_USER_INPUT",
        "resourceId: this node owns the resource: book it (or lend it) directly",
        { field: "resourceId", reason: "OWNED_HERE" },
      );
    }
    return resource;
  }

  async function createRequest(
    viewer: Viewer,
    input: {
      resourceId: string;
      kind: "BOOKING" | "LOAN";
      from: Date;
      to: Date;
      forMember: string | null;
      forSpace: string | null;
    },
  ): Promise<BookingRequestRecord> {
    assertRequester(viewer, input.forSpace ?? undefined);
    if (input.from.getTime() >= input.to.getTime()) {
      throw refused("INVALID_RANGE", "endsAt: must be after startsAt", { field: "endsAt" });
    }
    return writeAndPublish(async (tx, changes, pubs) => {
      const resource = await requestableResource(tx, input.resourceId);
      if (input.forMember !== null) {
        const member = await memberRepository.find(tx, input.forMember);
        if (!member) {
          throw new MaillageError("NOT_FOUND", `no member ${input.forMember}`, {
            field: "forMemberId",
          });
        }
        if (!member.owned) {
          throw new MaillageError(
            "FORBIDDEN",
            "a request is made for a member homed in this fabrique's network",
            { field: "forMemberId" },
          );
        }
      }
      if (input.forSpace !== null) {
        await assertOwnSpace(
          tx,
          input.forSpace,
          input.kind === "LOAN" ? "toSpaceId" : "forSpaceId",
        );
      }
      assertRules(resource, input, now());
      await assertCredential(tx, resource, input.forMember, input.from);
      const request = await bookingRequestRepository.insert(tx, {
        id: ulid(),
        direction: "OUTGOING",
        resourceId: resource.id,
        kind: input.kind,
        from: input.from,
        to: input.to,
        forMember: input.forMember,
        forSpace: input.forSpace,
        requesterNodeId: nodeId,
        ownerNodeId: resource.ownerNodeId,
        status: "PENDING",
      });
      await changes.append({
        entity: "BOOKING_REQUEST",
        entityId: request.id,
        op: "UPSERT",
        payload: requestPayloadOf(request),
      });
      pubs.request(request);
      return request;
    });
  }

  /**
   * Decides one incoming PENDING request by the rules, in the caller's transaction: CONFIRMED
   * with its booking, or DECLINED with the refusal. `strict`: a refusal is thrown instead.
   */
  async function decideByRules(
    tx: SqlSession,
    changes: ChangeLog,
    pubs: Publications,
    request: BookingRequestRecord,
    resource: ResourceRecord,
    strict: boolean,
  ): Promise<BookingRequestRecord> {
    const at = now();
    // Answered already by a booking handed over here (a re-enrolment replaced the node that
    // placed it, before its decision reached the hub): that booking is the answer. Booking
    // again would be refused as SLOT_TAKEN by the request's own slot.
    const answered = await resourceRepository.confirmedOfRequest(tx, request.id);
    if (answered) {
      const confirmed = await bookingRequestRepository.decide(tx, request.id, {
        status: "CONFIRMED",
        reason: null,
        reasonCode: null,
        bookingId: answered.id,
        loan: answered.loan,
        decidedAt: at,
      });
      return answer(changes, pubs, confirmed);
    }
    try {
      if (resource.sharingScope === "LOCAL") {
        throw refused("RESOURCE_NOT_SHARED", "this resource is shared inside its own network only");
      }
      const booking = await placeBooking(
        tx,
        resource,
        {
          kind: request.kind,
          from: request.from,
          to: request.to,
          forMember: request.forMember,
          forSpace: request.forSpace,
          requestId: request.id,
        },
        at,
      );
      await emitBooking(tx, changes, booking, at);
      pubs.booking(booking);
      const confirmed = await bookingRequestRepository.decide(tx, request.id, {
        status: "CONFIRMED",
        reason: null,
        reasonCode: null,
        bookingId: booking.id,
        loan: booking.loan,
        decidedAt: at,
      });
      return answer(changes, pubs, confirmed);
    } catch (error) {
      if (strict || !(error instanceof MaillageError)) throw error;
      const declined = await bookingRequestRepository.decide(tx, request.id, {
        status: "DECLINED",
        reason: error.message,
        reasonCode: error.code,
        bookingId: null,
        loan: null,
        decidedAt: at,
      });
      return answer(changes, pubs, declined);
    }
  }

  /** Sends the request's current decision (its BOOKING_DECISION event). */
  async function answer(changes: ChangeLog, pubs: Publications, request: BookingRequestRecord) {
    await changes.append({
      entity: "BOOKING_DECISION",
      entityId: request.id,
      op: "UPSERT",
      payload: decisionPayloadOf(request),
    });
    pubs.request(request);
    return request;
  }

  /**
   * Whether the decider answers a PENDING request of an approval-required resource without
   * waiting for a person: answered already by a booking handed over here, or refused whatever
   * a person would say (a LOCAL resource: RESOURCE_NOT_SHARED to another network; a RETIRED
   * one). Keep in step with bookingRequestRepository.awaitingOwner.
   */
  async function decidesAlone(
    tx: SqlSession,
    request: BookingRequestRecord,
    resource: ResourceRecord,
  ): Promise<boolean> {
    if (resource.sharingScope === "LOCAL" || resource.status === "RETIRED") return true;
    return (await resourceRepository.confirmedOfRequest(tx, request.id)) !== undefined;
  }

  /** Processes one request of the decider's queue; whether it wrote anything. */
  async function processQueued(id: string): Promise<boolean> {
    return writeAndPublish(async (tx, changes, pubs) => {
      const request = await bookingRequestRepository.findForUpdate(tx, id);
      if (request?.direction !== "INCOMING") return false;
      const resource = await resourceRepository.findForBooking(tx, request.resourceId);
      if (!resource?.owned) return false;
      if (request.status === "PENDING") {
        // A person decides, unless the answer needs none (see decidesAlone).
        if (resource.approvalRequired && !(await decidesAlone(tx, request, resource))) {
          return false;
        }
        await decideByRules(tx, changes, pubs, request, resource, false);
        return true;
      }
      if (request.status !== "CONFIRMED" || !request.cancelRequested) return false;
      const at = now();
      const booking =
        request.bookingId === null
          ? undefined
          : await resourceRepository.findBookingForUpdate(tx, request.bookingId);
      if (booking?.loan && booking.loan.status !== "CONFIRMED") {
        // Handed over already: it comes back by check-in. The current state is answered again.
        await answerRequest(tx, changes, request, {}, at);
        return true;
      }
      if (booking && booking.status === "CONFIRMED") {
        const cancelled = await resourceRepository.cancelBooking(tx, booking.id);
        if (cancelled) {
          await emitBooking(tx, changes, cancelled, at);
          pubs.booking(cancelled);
        }
      }
      const answered = await answerRequest(
        tx,
        changes,
        request,
        {
          status: "CANCELLED",
          reason: "withdrawn by the requester",
          reasonCode: "CANCELLED_BY_REQUESTER",
        },
        at,
      );
      pubs.request(answered);
      return true;
    });
  }

  /** The decider's run going on, and the one queued after it (at most one). */
  let running: Promise<number> | undefined;
  let queued: Promise<number> | undefined;
  let closed = false;

  function startRun(): Promise<number> {
    const run = decideQueue().finally(() => {
      if (running === run) running = undefined;
    });
    running = run;
    return run;
  }

  /**
   * One pass of the decider over its queue: only the requests the rules can decide now (see
   * bookingRequestRepository.awaitingOwner), each in its own local write.
   */
  async function decideQueue(): Promise<number> {
    const queue = await bookingRequestRepository.awaitingOwner(store);
    let answered = 0;
    for (const id of queue) {
      try {
        if (await processQueued(id)) answered += 1;
      } catch (err) {
        deps.logger?.error({ err, requestId: id }, "deciding a booking request failed");
      }
    }
    return answered;
  }

  return {
    /** Requests: the team sees all, a satellite those for its space, a member its own. */
    async list(viewer: Viewer, raw: unknown): Promise<BookingRequestRecord[]> {
      const filter = parseInput(ListInput, raw ?? {});
      const all = await bookingRequestRepository.list(store, {
        direction: filter.direction ?? null,
        status: filter.status ?? null,
      });
      return all.filter((r) => canSeeBooking(viewer, r));
    },

    async find(viewer: Viewer, id: string): Promise<BookingRequestRecord | undefined> {
      const request = await bookingRequestRepository.find(store, id);
      return request && canSeeBooking(viewer, request) ? request : undefined;
    },

    async requestBooking(viewer: Viewer, raw: unknown): Promise<BookingRequestRecord> {
      const input = parseInput(BookInput, raw);
      return createRequest(viewer, {
        resourceId: input.resourceId,
        kind: "BOOKING",
        from: input.startsAt,
        to: input.endsAt,
        forMember: input.forMemberId ?? null,
        forSpace: input.forSpaceId ?? null,
      });
    },

    async requestLoan(viewer: Viewer, raw: unknown): Promise<BookingRequestRecord> {
      const input = parseInput(RequestLoanInput, raw);
      return createRequest(viewer, {
        resourceId: input.resourceId,
        kind: "LOAN",
        from: input.startsAt,
        to: input.endsAt,
        forMember: null,
        forSpace: input.toSpaceId,
      });
    },

    async cancel(viewer: Viewer, id: string): Promise<BookingRequestRecord> {
      return writeAndPublish(async (tx, changes, pubs) => {
        const request = await bookingRequestRepository.findForUpdate(tx, id);
        if (!request || !canSeeBooking(viewer, request)) {
          throw new MaillageError("NOT_FOUND", `no booking request ${id}`, { id });
        }
        if (request.direction !== "OUTGOING") {
          throw new MaillageError(
            "FORBIDDEN",
            "the requester withdraws its request; the owner cancels the booking (cancelBooking)",
            { id },
          );
        }
        if (request.status === "DECLINED" || request.status === "CANCELLED") {
          throw new MaillageError("INVALID_TRANSITION", `the request is ${request.status}`, {
            status: request.status,
          });
        }
        if (request.status === "CONFIRMED") {
          if (request.loan && request.loan.status !== "CONFIRMED") {
            throw new MaillageError(
              "INVALID_TRANSITION",
              "the loan was handed over: it ends by its return",
              { status: request.loan.status },
            );
          }
          const resource = await resourceRepository.find(tx, request.resourceId);
          assertBeforeDeadline(resource, request.from, now());
        }
        const cancelled = await bookingRequestRepository.cancel(tx, id);
        await changes.append({
          entity: "BOOKING_REQUEST",
          entityId: id,
          op: "UPSERT",
          payload: requestPayloadOf(cancelled),
        });
        pubs.request(cancelled);
        return cancelled;
      });
    },

    async decide(viewer: Viewer, raw: unknown): Promise<BookingRequestRecord> {
      const input = parseInput(DecideInput, raw);
      if (viewer.role !== "FABRIQUE_ADMIN") {
        throw new MaillageError("FORBIDDEN", "the fabrique's team decides requests");
      }
      return writeAndPublish(async (tx, changes, pubs) => {
        const request = await bookingRequestRepository.findForUpdate(tx, input.id);
        if (!request) {
          throw new MaillageError("NOT_FOUND", `no booking request ${input.id}`, { id: input.id });
        }
        const resource = await resourceRepository.findForBooking(tx, request.resourceId);
        if (request.direction !== "INCOMING" || !resource?.owned) {
          throw new MaillageError(
            "FORBIDDEN",
            "only the resource's owner decides this request (this node made it)",
            { id: input.id },
          );
        }
        if (request.status !== "PENDING") {
          throw new MaillageError("INVALID_TRANSITION", `the request is ${request.status}`, {
            status: request.status,
          });
        }
        if (input.accept) return decideByRules(tx, changes, pubs, request, resource, true);
        const answered = await resourceRepository.confirmedOfRequest(tx, request.id);
        if (answered) {
          // Its booking came with a handover: the decider answers CONFIRMED; the booking is
          // cancelled like any other (cancelBooking), which answers the requester.
          throw new MaillageError(
            "INVALID_TRANSITION",
            "the request is answered already by a booking handed over to this node: cancel that booking instead",
            { status: "CONFIRMED", bookingId: answered.id },
          );
        }
        const declined = await bookingRequestRepository.decide(tx, request.id, {
          status: "DECLINED",
          reason: input.reason ?? "declined by the resource's owner",
          reasonCode: "DECLINED_BY_OWNER",
          bookingId: null,
          loan: null,
          decidedAt: now(),
        });
        return answer(changes, pubs, declined);
      });
    },

    /**
     * Decides what waits for this owner (see above): run after each pull and at start, so a
     * crash between a pull and its decisions leaves nothing undecided. Returns how many requests
     * it answered; one that fails is logged and left for the next run.
     */
    async decidePending(): Promise<number> {
      if (closed) return 0;
      // One run at a time: a run asked for while one goes on follows it (it may see more), and
      // every call made meanwhile shares that one queued run.
      if (queued) return queued;
      if (!running) return startRun();
      const next = running
        .catch(() => 0)
        .then(() => {
          queued = undefined;
          return closed ? 0 : startRun();
        });
      queued = next;
      return next;
    },

    /**
     * Stops the decider: no run starts any more, and the one going on (and the one queued)
     * are awaited, so the store can close under none. Never rejects.
     */
    async close(): Promise<void> {
      closed = true;
      await Promise.allSettled([running, queued]);
    },
  };
}
