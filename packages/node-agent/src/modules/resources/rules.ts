import {
  AVAILABILITY_ZONE,
  type BookingKind,
  credentialValid,
  type ErrorCode,
  isWithinAvailability,
  MaillageError,
} from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";
import { ulid } from "ulid";
import { spaceRepository } from "../spaces/space.repository.ts";
import { credentialRepository } from "./credential.repository.ts";
import {
  type BookingRecord,
  EXCLUSION_VIOLATION,
  type ResourceRecord,
  resourceRepository,
} from "./resource.repository.ts";

/**
 * The booking rules of a resource, one implementation for every road to a slot: a local `book`
 * or `lend`, an automatic or a person's decision on another node's request, and the
 * requester's own check against its replica (which cannot see the slot's occupancy).
 */
export type BookingRefusal =
  | "INVALID_RANGE"
  | "DURATION_OUT_OF_RANGE"
  | "LEAD_TIME"
  | "RESOURCE_NOT_AVAILABLE"
  | "SLOT_TAKEN"
  | "OUTSIDE_AVAILABILITY"
  | "NOT_MOVABLE"
  | "CREDENTIAL_REQUIRED"
  | "RESOURCE_ON_LOAN"
  | "RESOURCE_NOT_SHARED"
  | "CANCEL_DEADLINE_PASSED"
  | "ALREADY_CANCELLED";

/** Each refusal's documented code (docs/errors.md); the precise reason stays in `reason`. */
const REFUSAL_CODES = {
  INVALID_RANGE: "BAD_USER_INPUT",
  DURATION_OUT_OF_RANGE: "BOOKING_RULE_VIOLATION",
  LEAD_TIME: "BOOKING_RULE_VIOLATION",
  RESOURCE_NOT_AVAILABLE: "RESOURCE_NOT_AVAILABLE",
  SLOT_TAKEN: "SLOT_TAKEN",
  OUTSIDE_AVAILABILITY: "BOOKING_RULE_VIOLATION",
  NOT_MOVABLE: "BOOKING_RULE_VIOLATION",
  CREDENTIAL_REQUIRED: "CREDENTIAL_REQUIRED",
  RESOURCE_ON_LOAN: "RESOURCE_ON_LOAN",
  RESOURCE_NOT_SHARED: "RESOURCE_NOT_SHARED",
  CANCEL_DEADLINE_PASSED: "CANCEL_DEADLINE_PASSED",
  ALREADY_CANCELLED: "INVALID_TRANSITION",
} as const satisfies Record<BookingRefusal, ErrorCode>;

export function refused(
  reason: BookingRefusal,
  message: string,
  details: Record<string, unknown> = {},
): MaillageError {
  return new MaillageError(REFUSAL_CODES[reason], message, { reason, ...details });
}

export type Slot = { kind: BookingKind; from: Date; to: Date };

/**
 * The rules that need nothing but the resource: status, duration, lead time (from `at`),
 * availability windows and closures, and a loan needs a movable resource.
 */
export function assertRules(resource: ResourceRecord, slot: Slot, at: Date): void {
  const { from, to } = slot;
  if (from.getTime() >= to.getTime()) {
    throw refused("INVALID_RANGE", "endsAt: must be after startsAt", { field: "endsAt" });
  }
  if (resource.status !== "AVAILABLE") {
    throw refused(
      "RESOURCE_NOT_AVAILABLE",
      `the resource is ${resource.status.toLowerCase()}: it cannot be booked`,
      { status: resource.status },
    );
  }
  if (slot.kind === "LOAN" && !resource.movable) {
    throw refused("NOT_MOVABLE", "the resource is not movable: it cannot be lent");
  }
  const minutes = (to.getTime() - from.getTime()) / 60_000;
  if (minutes < resource.minMinutes || minutes > resource.maxMinutes) {
    throw refused(
      "DURATION_OUT_OF_RANGE",
      `a booking of this resource lasts from ${resource.minMinutes} to ${resource.maxMinutes} minutes; this one lasts ${minutes}`,
      { minMinutes: resource.minMinutes, maxMinutes: resource.maxMinutes },
    );
  }
  const earliest = at.getTime() + resource.leadMinutes * 60_000;
  if (from.getTime() < earliest) {
    throw refused(
      "LEAD_TIME",
      `this resource is booked at least ${resource.leadMinutes} minutes ahead`,
      { leadMinutes: resource.leadMinutes, earliest: new Date(earliest).toISOString() },
    );
  }
  if (!isWithinAvailability(resource, from, to)) {
    throw refused(
      "OUTSIDE_AVAILABILITY",
      `the slot is not inside one availability window of this resource on an open day (${AVAILABILITY_ZONE} time)`,
      { timeZone: AVAILABILITY_ZONE },
    );
  }
}

/**
 * The credential gate: a booking for a member of a resource requiring a credential type needs
 * one of that type valid at the slot's start (granted here or replicated from the member's home
 * node). A booking for a space names no person and is not gated: the space answers for who uses
 * the resource.
 */
export async function assertCredential(
  db: SqlSession,
  resource: Pick<ResourceRecord, "requiredCredential">,
  forMember: string | null,
  from: Date,
): Promise<void> {
  const required = resource.requiredCredential;
  if (required === null || forMember === null) return;
  const held = await credentialRepository.ofMember(db, forMember);
  if (held.some((c) => c.type === required && credentialValid(c, from))) return;
  throw refused(
    "CREDENTIAL_REQUIRED",
    `this resource requires the credential "${required}", which the member does not hold (or holds expired)`,
    { credential: required },
  );
}

/** Whether a checked-out loan is overdue at `at`: past its end and not back. */
export function isOverdue(booking: BookingRecord, at: Date): boolean {
  return (
    booking.status === "CONFIRMED" &&
    booking.loan?.status === "CHECKED_OUT" &&
    booking.to.getTime() <= at.getTime()
  );
}

/**
 * RESOURCE_ON_LOAN: the resource was handed over and is overdue (it blocks every new booking
 * until it is checked in), or a loan not yet returned covers part of the slot.
 */
async function assertNotOnLoan(db: SqlSession, resource: ResourceRecord, slot: Slot, at: Date) {
  const out = await resourceRepository.checkedOutLoans(db, resource.id);
  const overdue = out.find((loan) => isOverdue(loan, at));
  if (overdue) {
    throw refused(
      "RESOURCE_ON_LOAN",
      `the resource is away on a loan that ended ${overdue.to.toISOString()} and has not come back`,
      { loanId: overdue.id, holderSpaceId: overdue.loan?.holderSpaceId },
    );
  }
  const overlapping = await resourceRepository.confirmedOverlapping(
    db,
    resource.id,
    slot.from,
    slot.to,
  );
  const loan = overlapping.find((b) => b.kind === "LOAN" && b.loan?.status !== "RETURNED");
  if (loan) {
    throw refused("RESOURCE_ON_LOAN", "the resource is lent for part of this slot", {
      loanId: loan.id,
    });
  }
}

function isExclusionViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === EXCLUSION_VIOLATION;
}

/**
 * Checks every rule and inserts the CONFIRMED booking or loan, in the caller's transaction (the
 * resource row locked FOR SHARE by the caller). The store's exclusion constraint decides between
 * concurrent overlapping requests; its violation is SLOT_TAKEN (RESOURCE_ON_LOAN when a loan
 * holds the slot). A refusal leaves the transaction usable (savepoint), so a decider can write a
 * DECLINED decision in it.
 */
export async function placeBooking(
  tx: SqlSession,
  resource: ResourceRecord,
  booking: Slot & { forMember: string | null; forSpace: string | null; requestId: string | null },
  at: Date,
): Promise<BookingRecord> {
  assertRules(resource, booking, at);
  await assertCredential(tx, resource, booking.forMember, booking.from);
  await assertNotOnLoan(tx, resource, booking, at);
  await tx.query("SAVEPOINT place_booking");
  try {
    const placed = await resourceRepository.insertBooking(tx, {
      id: ulid(),
      resourceId: resource.id,
      homeSpaceId: resource.spaceId,
      ...booking,
    });
    await tx.query("RELEASE SAVEPOINT place_booking");
    return placed;
  } catch (error) {
    if (!isExclusionViolation(error)) throw error;
    await tx.query("ROLLBACK TO SAVEPOINT place_booking");
    // Concurrent writers have committed by now (the constraint waited for them).
    const taken = await resourceRepository.confirmedOverlapping(
      tx,
      resource.id,
      booking.from,
      booking.to,
    );
    if (taken.some((b) => b.kind === "LOAN")) {
      throw refused("RESOURCE_ON_LOAN", "the resource is lent for part of this slot", {
        resourceId: resource.id,
      });
    }
    throw refused("SLOT_TAKEN", "the resource is already booked for part of this slot", {
      resourceId: resource.id,
    });
  }
}

/** The cancellation deadline: CANCEL_DEADLINE_PASSED once the slot starts too soon. */
export function assertBeforeDeadline(
  resource: Pick<ResourceRecord, "cancelDeadlineMinutes"> | undefined,
  from: Date,
  at: Date,
): void {
  const deadline = from.getTime() - (resource?.cancelDeadlineMinutes ?? 0) * 60_000;
  if (at.getTime() > deadline) {
    throw refused(
      "CANCEL_DEADLINE_PASSED",
      `this booking could be cancelled until ${new Date(deadline).toISOString()}`,
      { deadline: new Date(deadline).toISOString() },
    );
  }
}

/**
 * The space is of this node's network and open: the fabrique itself, or a satellite this node
 * owns (where resources are hosted, and what a request or a loan may be for). NOT_FOUND,
 * FORBIDDEN with `forbidden` as the message, or SPACE_CLOSED; `details` name the argument.
 */
export async function assertNetworkSpace(
  db: SqlSession,
  fabriqueId: string,
  spaceId: string,
  failure: { forbidden: string; details: Record<string, unknown> },
): Promise<void> {
  if (spaceId === fabriqueId) return;
  const space = await spaceRepository.find(db, spaceId);
  if (!space) throw new MaillageError("NOT_FOUND", `no space ${spaceId}`, failure.details);
  if (!(space.owned && space.kind === "SATELLITE" && space.fabriqueId === fabriqueId)) {
    throw new MaillageError("FORBIDDEN", failure.forbidden, failure.details);
  }
  if (space.status === "CLOSED") {
    throw new MaillageError("SPACE_CLOSED", "the space is closed", failure.details);
  }
}
