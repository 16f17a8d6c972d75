import {
  AvailabilityWindow,
  Closure,
  freeSlots,
  type Interval,
  MaillageError,
  parseInput,
  RESOURCE_CATEGORIES,
  RESOURCE_STATUSES,
  resourcePayloadOf,
  SHARING_SCOPES,
  type SharingScope,
} from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import { ulid } from "ulid";
import { z } from "zod";
import type { Viewer } from "../../context.ts";
import type { Logger } from "../../logger.ts";
import type { ChangeLog, LocalWriter } from "../../outbox/local-writer.ts";
import {
  type BookingRequestRecord,
  bookingRequestRepository,
  decisionPayloadOf,
} from "../bookings/booking-request.repository.ts";
import { memberRepository } from "../members/member.repository.ts";
import { spaceRepository } from "../spaces/space.repository.ts";
import { Publications, publishAll, type ResourcePubSub } from "./live.ts";
import {
  type BookingRecord,
  bookingPayloadOf,
  type ResourceFields,
  type ResourceRecord,
  resourceRepository,
} from "./resource.repository.ts";
import {
  assertBeforeDeadline,
  assertNetworkSpace,
  isOverdue,
  placeBooking,
  refused,
} from "./rules.ts";

/**
 * Shared resources at their owner (issue 5).
 *
 * - A resource is hosted at a space of this network (the fabrique or a satellite this node
 *   owns, open); the fabrique's team creates and changes it, and each change sends a RESOURCE
 *   event (to every node: discovery and availability). Replicas of other nodes' resources live
 *   in the same table (owned = false); only the pull writes them, and the management mutations
 *   refuse them (FORBIDDEN).
 * - `book` is confirmed or refused at once, and a refusal writes nothing. Refusals carry their
 *   documented code and the precise `extensions.reason` (see rules.ts): INVALID_RANGE,
 *   DURATION_OUT_OF_RANGE, LEAD_TIME, OUTSIDE_AVAILABILITY, NOT_MOVABLE (BOOKING_RULE_VIOLATION
 *   but the first), RESOURCE_NOT_AVAILABLE, SLOT_TAKEN, RESOURCE_ON_LOAN, CREDENTIAL_REQUIRED
 *   (extensions.credential names the type; a booking for a space is not gated). Every booking
 *   and loan created or cancelled sends a BOOKING event (no person in it).
 * - No double booking: the store's exclusion constraint (resource, [from, to)) decides, loans
 *   included: a loan blocks home bookings for its period (RESOURCE_ON_LOAN).
 * - Loans (`lend` here, or a LOAN request from another node): CONFIRMED → `checkOutLoan` →
 *   CHECKED_OUT (the borrower holds it) → `checkInLoan` → RETURNED (home holds it; back early,
 *   the rest of the period is free again). A loan is not checked out while another loan of the
 *   resource is (RESOURCE_ON_LOAN). A checked-out loan past its end is overdue and blocks
 *   every new booking until it is checked in. For a loan answering a request, each transition
 *   sends a BOOKING_DECISION with the `loan` state to the requester.
 * - `cancelBooking` frees the slot, until `cancelDeadlineMinutes` before its start
 *   (CANCEL_DEADLINE_PASSED after; INVALID_TRANSITION with reason ALREADY_CANCELLED and status
 *   CANCELLED for a booking cancelled before; a loan handed over is checked in, not
 *   cancelled: INVALID_TRANSITION). Cancelling a booking that
 *   answers another node's request sends a CANCELLED decision (reasonCode CANCELLED_BY_OWNER).
 */
export type ResourceService = ReturnType<typeof createResourceService>;

const MINUTES_MAX = 60 * 24 * 366;
const Id = z.string().trim().min(1).max(64);
const Minutes = z.number().int().min(0).max(MINUTES_MAX);
/** The longest range `resourceAvailability` answers. */
export const AVAILABILITY_MAX_DAYS = 31;

/** A resource's booking rules, grouped as the API shows them (`rules { … }`). */
const BookingRules = z
  .object({
    minMinutes: Minutes.min(1).default(15),
    maxMinutes: Minutes.min(1).default(8 * 60),
    leadMinutes: Minutes.default(0),
    cancelDeadlineMinutes: Minutes.default(0),
  })
  .strict();

const ResourceShape = z
  .object({
    spaceId: Id,
    name: z.string().trim().min(1, "required").max(200),
    category: z.enum(RESOURCE_CATEGORIES),
    description: z.string().trim().max(4000).nullable().default(null),
    sharingScope: z.enum(SHARING_SCOPES).default("LOCAL"),
    requiredCredential: z.string().trim().min(1).max(200).nullable().default(null),
    rules: BookingRules.prefault({}),
    status: z.enum(RESOURCE_STATUSES).default("AVAILABLE"),
    movable: z.boolean().default(false),
    approvalRequired: z.boolean().default(false),
    windows: z.array(AvailabilityWindow).max(100).default([]),
    closures: z.array(Closure).max(1000).default([]),
  })
  .strict();

/** A resource as the API gives it (rules grouped), checked, and flattened as it is stored. */
export const ResourceInput = ResourceShape.refine((r) => r.rules.maxMinutes >= r.rules.minMinutes, {
  path: ["rules", "maxMinutes"],
  message: "must not be less than minMinutes",
}).transform(({ rules, ...rest }): ResourceFields => ({ ...rest, ...rules }));

const ResourceChanges = z
  .object({
    spaceId: Id,
    name: z.string(),
    category: z.string(),
    description: z.string().nullable(),
    sharingScope: z.string(),
    requiredCredential: z.string().nullable(),
    rules: z
      .object({
        minMinutes: z.number(),
        maxMinutes: z.number(),
        leadMinutes: z.number(),
        cancelDeadlineMinutes: z.number(),
      })
      .partial()
      .strict(),
    status: z.string(),
    movable: z.boolean(),
    approvalRequired: z.boolean(),
    windows: z.array(z.unknown()),
    closures: z.array(z.unknown()),
  })
  .partial()
  .strict();

export const BookInput = z
  .object({
    resourceId: Id,
    startsAt: z.date(),
    endsAt: z.date(),
    forMemberId: Id.optional(),
    forSpaceId: Id.optional(),
  })
  .strict()
  .refine((b) => (b.forMemberId === undefined) !== (b.forSpaceId === undefined), {
    path: ["forMemberId"],
    message: "give exactly one of forMemberId and forSpaceId",
  });

const LendInput = z
  .object({ resourceId: Id, toSpaceId: Id, startsAt: z.date(), endsAt: z.date() })
  .strict();

const AvailabilityInput = z
  .object({ resourceId: Id, from: z.date(), to: z.date() })
  .strict()
  .refine((r) => r.from.getTime() < r.to.getTime(), { path: ["to"], message: "must be after from" })
  .refine((r) => r.to.getTime() - r.from.getTime() <= AVAILABILITY_MAX_DAYS * 86_400_000, {
    path: ["to"],
    message: `at most ${AVAILABILITY_MAX_DAYS} days after from`,
  });

const NetworkFilter = z
  .object({
    category: z.enum(RESOURCE_CATEGORIES).nullish(),
    sharingScope: z.enum(SHARING_SCOPES).nullish(),
  })
  .strict();

/** A booking, loan or request a caller may see: the team all, a satellite its space's, a member its own. */
export function canSeeBooking(
  viewer: Viewer,
  booking: Pick<BookingRecord, "forSpace" | "forMember">,
): boolean {
  if (viewer.role === "FABRIQUE_ADMIN") return true;
  if (viewer.role === "SATELLITE") return booking.forSpace === viewer.spaceId;
  return viewer.role === "MEMBER" && booking.forMember === viewer.memberId;
}

/** A loan as `loans` shows it. */
export type LoanView = BookingRecord & { overdue: boolean };

/**
 * The owner's answer on an incoming request changed (a cancellation, a loan transition): the
 * request row and its BOOKING_DECISION event, in the caller's transaction.
 */
export async function answerRequest(
  tx: SqlSession,
  changes: ChangeLog,
  request: BookingRequestRecord,
  fields: Partial<Pick<BookingRequestRecord, "status" | "reason" | "reasonCode" | "loan">>,
  at: Date,
): Promise<BookingRequestRecord> {
  const answered = await bookingRequestRepository.decide(tx, request.id, {
    status: fields.status ?? request.status,
    reason: fields.reason === undefined ? request.reason : fields.reason,
    reasonCode: fields.reasonCode === undefined ? request.reasonCode : fields.reasonCode,
    bookingId: request.bookingId,
    loan: fields.loan === undefined ? request.loan : fields.loan,
    decidedAt: at,
  });
  await changes.append({
    entity: "BOOKING_DECISION",
    entityId: answered.id,
    op: "UPSERT",
    payload: decisionPayloadOf(answered),
  });
  return answered;
}

/**
 * Sends what never travelled of a resource of this node still marked unpublished (migration
 * 0007), in the caller's transaction: its RESOURCE event, a BOOKING event for each of its
 * CONFIRMED bookings and loans still to end (but `except`, which the caller sends), and the
 * mark cleared. Nothing for a resource published already. Whether it sent anything.
 */
export async function publishIfUnpublished(
  tx: SqlSession,
  changes: ChangeLog,
  resourceId: string,
  at: Date,
  except?: string,
): Promise<boolean> {
  const resource = await resourceRepository.lockUnpublished(tx, resourceId);
  if (!resource) return false;
  await changes.append({
    entity: "RESOURCE",
    entityId: resource.id,
    op: "UPSERT",
    payload: resourcePayloadOf(resource),
  });
  for (const booking of await resourceRepository.confirmedEndingAfter(tx, resource.id, at)) {
    if (booking.id !== except) await sendBooking(changes, booking);
  }
  await resourceRepository.markPublished(tx, resource.id);
  return true;
}

async function sendBooking(changes: ChangeLog, booking: BookingRecord): Promise<void> {
  await changes.append({
    entity: "BOOKING",
    entityId: booking.id,
    op: "UPSERT",
    payload: bookingPayloadOf(booking),
  });
}

/**
 * A booking's BOOKING event, in the caller's transaction. Its resource, if still marked
 * unpublished (a write between the migration and the start's backfill), travels first: the
 * hub refuses a booking of a resource it does not know (and the outbox would block on it).
 */
export async function emitBooking(
  tx: SqlSession,
  changes: ChangeLog,
  booking: BookingRecord,
  at: Date,
): Promise<void> {
  await publishIfUnpublished(tx, changes, booking.resourceId, at, booking.id);
  await sendBooking(changes, booking);
}

/** Whether a resource row is for this node to see: its own, or another's not LOCAL. */
export function isVisible(resource: Pick<ResourceRecord, "owned" | "sharingScope">): boolean {
  return resource.owned || resource.sharingScope !== "LOCAL";
}

export function createResourceService(deps: {
  store: SqlStore;
  writer: LocalWriter;
  pubsub: ResourcePubSub;
  fabriqueId: string;
  logger?: Logger | undefined;
  now?: (() => Date) | undefined;
}) {
  const { store, writer, pubsub, fabriqueId } = deps;
  const now = deps.now ?? (() => new Date());

  /** Runs a local write and publishes what it changed once it committed. */
  async function writeAndPublish<T>(
    fn: (tx: SqlSession, changes: ChangeLog, pubs: Publications) => Promise<T>,
  ): Promise<T> {
    const pubs = new Publications();
    const result = await writer.write((tx, changes) => fn(tx, changes, pubs));
    publishAll(pubsub, pubs.items);
    return result;
  }

  /** The space hosts resources of this node: the fabrique, or an open satellite it owns. */
  function assertHostSpace(db: SqlSession, spaceId: string) {
    return assertNetworkSpace(db, fabriqueId, spaceId, {
      forbidden:
        "this space is not of this fabrique's network: its resources are managed at its own node",
      details: { spaceId },
    });
  }

  async function assertBeneficiary(
    db: SqlSession,
    viewer: Viewer,
    input: { forMemberId?: string | undefined; forSpaceId?: string | undefined },
  ) {
    if (viewer.role === "SATELLITE") {
      if (input.forSpaceId !== viewer.spaceId) {
        throw new MaillageError(
          "FORBIDDEN",
          "a satellite books for its own space only (forSpaceId: its own id)",
          { field: input.forSpaceId === undefined ? "forMemberId" : "forSpaceId" },
        );
      }
      return;
    }
    if (viewer.role !== "FABRIQUE_ADMIN") {
      throw new MaillageError("FORBIDDEN", "only the fabrique's team or a satellite book here");
    }
    if (input.forMemberId !== undefined && !(await memberRepository.find(db, input.forMemberId))) {
      throw new MaillageError("NOT_FOUND", `no member ${input.forMemberId}`, {
        field: "forMemberId",
      });
    }
    if (
      input.forSpaceId !== undefined &&
      input.forSpaceId !== fabriqueId &&
      !(await spaceRepository.find(db, input.forSpaceId))
    ) {
      throw new MaillageError("NOT_FOUND", `no space ${input.forSpaceId}`, {
        field: "forSpaceId",
      });
    }
  }

  /** One of this node's own resources, locked for booking; NOT_FOUND / FORBIDDEN otherwise. */
  async function ownResourceForBooking(tx: SqlSession, id: string): Promise<ResourceRecord> {
    const resource = await resourceRepository.findForBooking(tx, id);
    if (!resource) {
      throw new MaillageError("NOT_FOUND", `no resource ${id}`, { field: "resourceId" });
    }
    if (!resource.owned) {
      throw new MaillageError(
        "FORBIDDEN",
        "this resource belongs to another node: ask it with requestBooking or requestLoan",
        { field: "resourceId", reason: "OWNED_ELSEWHERE" },
      );
    }
    return resource;
  }

  async function save(id: string | null, fields: ResourceFields): Promise<ResourceRecord> {
    return writeAndPublish(async (tx, changes, pubs) => {
      await assertHostSpace(tx, fields.spaceId);
      const saved =
        id === null
          ? await resourceRepository.insert(tx, ulid(), fields)
          : await resourceRepository.update(tx, id, fields);
      // Its windows, closures or status may have changed: its availability, at any time.
      if (id !== null) pubs.availability(saved.id, null, null);
      // Still unpublished: its bookings travel with it (and the mark is cleared).
      if (await publishIfUnpublished(tx, changes, saved.id, now())) return saved;
      await changes.append({
        entity: "RESOURCE",
        entityId: saved.id,
        op: "UPSERT",
        payload: resourcePayloadOf(saved),
      });
      return saved;
    });
  }

  /** A booking of this node, visible to the caller, locked; NOT_FOUND otherwise. */
  async function visibleBooking(tx: SqlSession, viewer: Viewer, id: string) {
    const booking = await resourceRepository.findBookingForUpdate(tx, id);
    if (!booking || !canSeeBooking(viewer, booking)) {
      // A satellite does not learn of other spaces' bookings.
      throw new MaillageError("NOT_FOUND", `no booking ${id}`, { id });
    }
    return booking;
  }

  async function loanTransition(
    viewer: Viewer,
    id: string,
    from: "CONFIRMED" | "CHECKED_OUT",
  ): Promise<LoanView> {
    return writeAndPublish(async (tx, changes, pubs) => {
      const booking = await visibleBooking(tx, viewer, id);
      if (booking.kind !== "LOAN" || !booking.loan) {
        throw new MaillageError("NOT_FOUND", `no loan ${id}`, { id });
      }
      if (booking.status !== "CONFIRMED" || booking.loan.status !== from) {
        const status = booking.status === "CANCELLED" ? "CANCELLED" : booking.loan.status;
        throw new MaillageError(
          "INVALID_TRANSITION",
          from === "CONFIRMED"
            ? `only a confirmed loan is checked out; this one is ${status}`
            : `only a checked-out loan is checked in; this one is ${status}`,
          { status },
        );
      }
      const at = now();
      const resource = await resourceRepository.find(tx, booking.resourceId);
      if (from === "CONFIRMED") {
        // One object, one holder: it leaves again once the previous borrower gave it back.
        const away = (await resourceRepository.checkedOutLoans(tx, booking.resourceId)).find(
          (loan) => loan.id !== id,
        );
        if (away) {
          throw refused(
            "RESOURCE_ON_LOAN",
            "the resource is still away on another loan: check that one in first",
            { loanId: away.id, holderSpaceId: away.loan?.holderSpaceId },
          );
        }
      }
      const changed =
        from === "CONFIRMED"
          ? await resourceRepository.checkOutLoan(tx, id, at)
          : await resourceRepository.checkInLoan(tx, id, resource?.spaceId ?? fabriqueId, at);
      if (changed.to.getTime() !== booking.to.getTime()) {
        // Back early: the rest of the period is free again.
        await emitBooking(tx, changes, changed, at);
        pubs.availability(changed.resourceId, changed.to, booking.to);
      }
      pubs.booking(changed);
      if (changed.requestId !== null) {
        const request = await bookingRequestRepository.findForUpdate(tx, changed.requestId);
        if (request && changed.loan) {
          pubs.request(await answerRequest(tx, changes, request, { loan: changed.loan }, at));
        }
      }
      return { ...changed, overdue: isOverdue(changed, at) };
    });
  }

  return {
    /** This node's resources hosted at a space, by name. */
    async list(raw: unknown): Promise<ResourceRecord[]> {
      const { spaceId } = parseInput(z.object({ spaceId: Id }), raw);
      return resourceRepository.ofSpace(store, spaceId);
    },

    /** One of this node's resources or a replica visible here (never another's LOCAL one). */
    async find(id: string): Promise<ResourceRecord | undefined> {
      const resource = await resourceRepository.find(store, id);
      return resource && isVisible(resource) ? resource : undefined;
    },

    /**
     * Sends what never travelled (resources created before they did, migration 0007): for each
     * resource of this node marked unpublished, a RESOURCE event then a BOOKING event for each
     * of its CONFIRMED bookings and loans still to end, and the mark cleared, in one local
     * write per resource. Run at start, before the sync engine; running it again sends
     * nothing. Returns how many resources it published; one that fails is logged and left
     * for the next start.
     */
    async publishUnpublished(): Promise<number> {
      let published = 0;
      for (const id of await resourceRepository.unpublished(store)) {
        try {
          const sent = await writer.write((tx, changes) =>
            publishIfUnpublished(tx, changes, id, now()),
          );
          if (sent) published += 1;
        } catch (err) {
          deps.logger?.error({ err, resourceId: id }, "publishing a resource failed");
        }
      }
      return published;
    },

    /**
     * Other nodes' resources replicated here, by name (readable offline). Without a scope:
     * those open to this node (NETWORK and NATIONAL). Never another network's LOCAL resource:
     * `sharingScope: LOCAL` lists nothing.
     */
    async networkResources(raw: unknown): Promise<ResourceRecord[]> {
      const filter = parseInput(NetworkFilter, raw ?? {});
      if (filter.sharingScope === "LOCAL") return [];
      const scopes: SharingScope[] = filter.sharingScope
        ? [filter.sharingScope]
        : ["NETWORK", "NATIONAL"];
      return resourceRepository.replicas(store, { category: filter.category ?? null, scopes });
    },

    async create(_viewer: Viewer, raw: unknown): Promise<ResourceRecord> {
      return save(null, parseInput(ResourceInput, raw));
    },

    async update(_viewer: Viewer, id: string, raw: unknown): Promise<ResourceRecord> {
      const changes = parseInput(ResourceChanges, raw);
      const current = await resourceRepository.find(store, id);
      if (!current || !isVisible(current)) {
        throw new MaillageError("NOT_FOUND", `no resource ${id}`, { id });
      }
      if (!current.owned) {
        throw new MaillageError(
          "FORBIDDEN",
          "this resource belongs to another node: it is changed there",
          { id },
        );
      }
      const {
        id: _id,
        owned: _owned,
        ownerNodeId: _owner,
        createdAt: _c,
        updatedAt: _u,
        minMinutes,
        maxMinutes,
        leadMinutes,
        cancelDeadlineMinutes,
        ...fields
      } = current;
      const rules = { minMinutes, maxMinutes, leadMinutes, cancelDeadlineMinutes };
      return save(
        id,
        parseInput(ResourceInput, { ...fields, ...changes, rules: { ...rules, ...changes.rules } }),
      );
    },

    /** A resource's bookings and loans: all for the team, its own for a satellite or member. */
    async bookings(viewer: Viewer, resourceId: string): Promise<BookingRecord[]> {
      const all = await resourceRepository.bookingsOf(store, resourceId);
      return all.filter((b) => canSeeBooking(viewer, b));
    },

    /** A resource's loans, by start, with who holds it and whether it is overdue. */
    async loans(viewer: Viewer, resourceId: string): Promise<LoanView[]> {
      const at = now();
      const all = await resourceRepository.bookingsOf(store, resourceId, "LOAN");
      return all
        .filter((b) => canSeeBooking(viewer, b))
        .map((b) => ({ ...b, overdue: isOverdue(b, at) }));
    },

    async book(viewer: Viewer, raw: unknown): Promise<BookingRecord> {
      const input = parseInput(BookInput, raw);
      if (input.startsAt.getTime() >= input.endsAt.getTime()) {
        throw refused("INVALID_RANGE", "endsAt: must be after startsAt", { field: "endsAt" });
      }
      return writeAndPublish(async (tx, changes, pubs) => {
        const at = now();
        const resource = await ownResourceForBooking(tx, input.resourceId);
        await assertBeneficiary(tx, viewer, input);
        const booking = await placeBooking(
          tx,
          resource,
          {
            kind: "BOOKING",
            from: input.startsAt,
            to: input.endsAt,
            forMember: input.forMemberId ?? null,
            forSpace: input.forSpaceId ?? null,
            requestId: null,
          },
          at,
        );
        await emitBooking(tx, changes, booking, at);
        pubs.booking(booking);
        return booking;
      });
    },

    /** A loan decided here: a movable resource of this node goes to a space for a period. */
    async lend(viewer: Viewer, raw: unknown): Promise<LoanView> {
      const input = parseInput(LendInput, raw);
      if (viewer.role !== "FABRIQUE_ADMIN") {
        throw new MaillageError("FORBIDDEN", "only the fabrique's team lends resources");
      }
      if (input.startsAt.getTime() >= input.endsAt.getTime()) {
        throw refused("INVALID_RANGE", "endsAt: must be after startsAt", { field: "endsAt" });
      }
      return writeAndPublish(async (tx, changes, pubs) => {
        const at = now();
        const resource = await ownResourceForBooking(tx, input.resourceId);
        if (input.toSpaceId !== fabriqueId && !(await spaceRepository.find(tx, input.toSpaceId))) {
          throw new MaillageError("NOT_FOUND", `no space ${input.toSpaceId}`, {
            field: "toSpaceId",
          });
        }
        const loan = await placeBooking(
          tx,
          resource,
          {
            kind: "LOAN",
            from: input.startsAt,
            to: input.endsAt,
            forMember: null,
            forSpace: input.toSpaceId,
            requestId: null,
          },
          at,
        );
        await emitBooking(tx, changes, loan, at);
        pubs.booking(loan);
        return { ...loan, overdue: false };
      });
    },

    async cancelBooking(viewer: Viewer, id: string): Promise<BookingRecord> {
      return writeAndPublish(async (tx, changes, pubs) => {
        const booking = await visibleBooking(tx, viewer, id);
        if (booking.status === "CANCELLED") {
          throw refused("ALREADY_CANCELLED", "the booking is already cancelled", {
            id,
            status: "CANCELLED",
          });
        }
        if (booking.loan && booking.loan.status !== "CONFIRMED") {
          throw new MaillageError(
            "INVALID_TRANSITION",
            "this loan was handed over: it is checked in, not cancelled",
            { status: booking.loan.status },
          );
        }
        const at = now();
        const resource = await resourceRepository.find(tx, booking.resourceId);
        assertBeforeDeadline(resource, booking.from, at);
        const cancelled = await resourceRepository.cancelBooking(tx, id);
        if (!cancelled) {
          throw refused("ALREADY_CANCELLED", "the booking is already cancelled", {
            id,
            status: "CANCELLED",
          });
        }
        await emitBooking(tx, changes, cancelled, at);
        pubs.booking(cancelled);
        if (cancelled.requestId !== null) {
          const request = await bookingRequestRepository.findForUpdate(tx, cancelled.requestId);
          if (request && request.status === "CONFIRMED") {
            const answered = await answerRequest(
              tx,
              changes,
              request,
              {
                status: "CANCELLED",
                reason: "cancelled by the resource's owner",
                reasonCode: "CANCELLED_BY_OWNER",
              },
              at,
            );
            pubs.request(answered);
          }
        }
        return cancelled;
      });
    },

    checkOutLoan: (viewer: Viewer, id: string) => loanTransition(viewer, id, "CONFIRMED"),
    checkInLoan: (viewer: Viewer, id: string) => loanTransition(viewer, id, "CHECKED_OUT"),

    /**
     * The free slots of a resource in [from, to) (at most 31 days): its windows and closures
     * minus its occupied slots: this node's bookings and loans for its own resources (an overdue
     * loan keeps it away until checked in), the replicated occupancy for another node's. Slots
     * shorter than the resource's minimum booking are left out; none while it is unavailable.
     */
    async availability(raw: unknown): Promise<Interval[]> {
      const input = parseInput(AvailabilityInput, raw);
      const resource = await resourceRepository.find(store, input.resourceId);
      if (!resource || !isVisible(resource)) {
        throw new MaillageError("NOT_FOUND", `no resource ${input.resourceId}`, {
          field: "resourceId",
        });
      }
      if (resource.status !== "AVAILABLE") return [];
      const busy = await resourceRepository.busy(store, resource, input.from, input.to);
      if (resource.owned) {
        const at = now();
        for (const loan of await resourceRepository.checkedOutLoans(store, resource.id)) {
          if (isOverdue(loan, at)) busy.push({ from: loan.from, to: input.to });
        }
      }
      return freeSlots(resource, busy, input.from, input.to, resource.minMinutes);
    },
  };
}
