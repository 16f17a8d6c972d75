import type { ChangeEvent, EntityName, ErrorCode } from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";
import type { NodeSyncRow, OwnedRow } from "./sync.repository.ts";

/**
 * One handler per entity of the sync contract: what it needs to know, its ownership rule,
 * what an accepted event changes for the events after it, and how its final states are
 * written. The push service runs them inside its one transaction (push.service.ts).
 */

export type Verdict = { ok: true } | { ok: false; code: ErrorCode; message: string };

export const OK: Verdict = { ok: true };

export function refuse(code: ErrorCode, message: string): Verdict {
  return { ok: false, code, message };
}

export type ResourceRow = {
  id: string;
  owner_node_id: string;
  space_id: string;
  sharing_scope: string;
  status: string;
  windows: unknown;
  closures: unknown;
};

export type BookingRow = {
  id: string;
  owner_node_id: string;
  resource_id: string;
  /** ISO instants. */
  starts_at: string;
  ends_at: string;
  /** Its resource's sharing scope as the hub had it (null: unknown resource). */
  resource_scope: string | null;
};

export type RequestRow = {
  id: string;
  requester_node_id: string;
  owner_node_id: string;
  resource_id: string;
  kind: string;
  starts_at: string;
  ends_at: string;
  for_member_id: string | null;
  for_space_id: string | null;
  cancelled: boolean;
};

export type TrainingRow = {
  id: string;
  owner_node_id: string;
  space_id: string;
  scope: string;
};

export type EnrolmentRequestRow = {
  id: string;
  requester_node_id: string;
  owner_node_id: string;
  training_id: string;
  member_id: string;
  cancelled: boolean;
};

export type EnrolmentRow = {
  id: string;
  owner_node_id: string;
  training_id: string;
  member_id: string;
  status: string;
};

/** A pass as the hub keeps it: who may change it (mobility/pass-sync.ts). */
export type PassRow = { id: string; owner_node_id: string };

/** A visit as the hub holds it: its owner, member (null once erased) and places. */
export type VisitRow = {
  id: string;
  owner_node_id: string;
  member_id: string | null;
  home_space_id: string;
  space_id: string;
};

/** "<trainingId>|<memberId>": a member's place in a training (the credential check). */
export const attendanceKey = (trainingId: string, memberId: string) => `${trainingId}|${memberId}`;

/** The hub's rows for what a batch touches, updated as its events are accepted in order. */
export type Known = {
  spaces: Map<string, OwnedRow>;
  members: Map<string, OwnedRow>;
  /** Activity reports by entity id (<spaceId>:<date>). */
  reports: Map<string, OwnedRow>;
  resources: Map<string, ResourceRow>;
  bookings: Map<string, BookingRow>;
  requests: Map<string, RequestRow>;
  credentials: Map<string, OwnedRow>;
  trainings: Map<string, TrainingRow>;
  enrolmentRequests: Map<string, EnrolmentRequestRow>;
  enrolments: Map<string, EnrolmentRow>;
  /**
   * Attendance keys (attendanceKey) of ATTENDED enrolments: held at the hub, accepted earlier
   * in the batch, or carried by an ENROLMENT event anywhere in the batch (a credential and the
   * attendance that issued it may come in either order).
   */
  attendances: Set<string>;
  passes: Map<string, PassRow>;
  visits: Map<string, VisitRow>;
  /** Tariffs by entity id (<spaceId>:<validFrom>). */
  tariffs: Map<string, PassRow>;
  /** Spaces' home node: the active node of the space's network (a visit's road home). */
  homeNodes: Map<string, string>;
};

/** The rows a batch needs read before its events are checked. */
export type Wanted = {
  spaces: Set<string>;
  members: Set<string>;
  reports: { spaceId: string; day: string }[];
  resources: Set<string>;
  bookings: Set<string>;
  requests: Set<string>;
  credentials: Set<string>;
  trainings: Set<string>;
  enrolmentRequests: Set<string>;
  enrolments: Set<string>;
  /** Attendance keys whose ATTENDED enrolment the hub may hold. */
  attendances: Set<string>;
  /** Attendance keys an ENROLMENT event of the batch marks ATTENDED. */
  attendedInBatch: Set<string>;
  passes: Set<string>;
  visits: Set<string>;
  tariffs: Set<string>;
  /** Spaces whose network's node a visit may have to be routed to. */
  homeNodes: Set<string>;
};

export function emptyWanted(): Wanted {
  return {
    spaces: new Set(),
    members: new Set(),
    reports: [],
    resources: new Set(),
    bookings: new Set(),
    requests: new Set(),
    credentials: new Set(),
    trainings: new Set(),
    enrolmentRequests: new Set(),
    enrolments: new Set(),
    attendances: new Set(),
    attendedInBatch: new Set(),
    passes: new Set(),
    visits: new Set(),
    tariffs: new Set(),
    homeNodes: new Set(),
  };
}

/**
 * What an accepted event means beyond its own row: who reads it in the log, and what live
 * updates follow the commit.
 *
 * Routing, by entity (each handler decides it in `accept`):
 * - SPACE, MEMBER, ACTIVITY, CREDENTIAL: every node but the origin (target NULL);
 * - RESOURCE, BOOKING: every node while the resource is shared (NETWORK, NATIONAL) or was
 *   until this change; a LOCAL resource's events stay at the hub (resource-sync.ts);
 * - BOOKING_REQUEST: the resource's owner only; BOOKING_DECISION: the requester only;
 * - TRAINING: like RESOURCE (trainings/training-sync.ts); ENROLMENT_REQUEST: the training's
 *   organiser only; ENROLMENT: the member's home node only (it stays at the hub when that is
 *   the organiser itself).
 * - PASS, TARIFF: every node but the origin; VISIT: the member's home node only (it stays at
 *   the hub when that is the visited node itself) — mobility/mobility-sync.ts.
 * "Stays at the hub" is written as target = the origin node: readLogFor serves it only to the
 * origin, whose agent ignores its own echoes (originNodeId === its id, first thing).
 */
export type Consequence = {
  /** The one node that reads it, or null: every node but its origin. */
  targetNodeId: string | null;
  /** Resources whose availability changed, over [from, to) (null: any time). */
  availability?: AvailabilityRange[];
  /** The booking request it created, withdrew or decided. */
  bookingRequestId?: string;
  /**
   * A LOCAL resource became shared: its CONFIRMED future slots (made while it stayed at the
   * hub) are re-announced to every node right after it, as the batch leaves them.
   */
  reannounceSlotsOf?: string;
  /** A training whose state (seats included) changed: trainingSeatsChanged follows. */
  trainingId?: string;
  /** An enrolment the organiser wrote: enrolmentUpdated follows. */
  enrolmentId?: string;
  /** A visit written (not deleted): visitRecorded follows. */
  visitId?: string;
};

export type AvailabilityRange = { resourceId: string; from: string | null; to: string | null };

export type EntityHandler = {
  /** Adds the ids this event needs rows for. */
  want(event: ChangeEvent, wanted: Wanted): void;
  /** Ownership and references, against the hub's rows and the batch's earlier events. */
  check(node: NodeSyncRow, event: ChangeEvent, known: Known): Verdict;
  /** Records an accepted event in `known` for the events after it; says what it means. */
  accept(node: NodeSyncRow, event: ChangeEvent, known: Known): Consequence;
  /**
   * Writes the final state of each record (one event per record, in batch order); `known`
   * holds the rows as the whole batch leaves them.
   */
  apply(session: SqlSession, node: NodeSyncRow, finals: ChangeEvent[], known: Known): Promise<void>;
};

export type EntityHandlers = Record<EntityName, EntityHandler>;

/**
 * The order final states are written in, so that references exist when they are written
 * (a resource's host space, a request's resource).
 */
export const APPLY_ORDER: readonly EntityName[] = [
  "SPACE",
  "MEMBER",
  "ACTIVITY",
  "RESOURCE",
  "BOOKING",
  "CREDENTIAL",
  "BOOKING_REQUEST",
  "BOOKING_DECISION",
  "TRAINING",
  "ENROLMENT_REQUEST",
  "ENROLMENT",
  "NODE_KEY",
  "STATUS_LIST",
  "PASS",
  "TARIFF",
  "VISIT",
];

/** The common rule: a record that exists is written by its owner only. */
export function ownedElsewhere(
  existing: { owner_node_id: string | null } | undefined,
  node: NodeSyncRow,
  event: ChangeEvent,
): Verdict | undefined {
  if (existing && existing.owner_node_id !== node.id) {
    return refuse(
      "OWNERSHIP_VIOLATION",
      `${event.entity} ${event.entityId} is not owned by node ${node.id}`,
    );
  }
  return undefined;
}

/** Whether a space is the node's fabrique or one of the satellites it owns. */
export function inNodeNetwork(node: NodeSyncRow, spaceId: string, known: Known): boolean {
  if (spaceId === node.fabrique_id) return true;
  const space = known.spaces.get(spaceId);
  return (
    space !== undefined && space.owner_node_id === node.id && space.fabrique_id === node.fabrique_id
  );
}
