import {
  type ActivityPayload,
  activityEntityId,
  type ChangeEvent,
  type Geography,
  MAX_PUSH_BATCH,
  MaillageError,
  type PushRejection,
  type PushResult,
  parseChangeEvent,
  type SpacePayload,
} from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import type {
  AvailabilityChangedEvent,
  BookingUpdateEvent,
  EnrolmentUpdateEvent,
  TrainingChangedEvent,
  VisitRecordedEvent,
} from "../../realtime/pubsub.ts";
import { activityByKeys } from "../activity/activity.repository.ts";
import { activityHandler } from "../activity/activity-sync.ts";
import * as bookingRepo from "../bookings/booking.repository.ts";
import { bookingHandler } from "../bookings/booking-sync.ts";
import { futureBookings, hubEntry } from "../bookings/hub-events.ts";
import { collectLiveUpdates, type LiveUpdates } from "../bookings/live-updates.ts";
import { bookingDecisionHandler, bookingRequestHandler } from "../bookings/request-sync.ts";
import { nodeKeyHandler, statusListHandler } from "../credentials/status-list-sync.ts";
import { activityArrival, announce, nodeStatusEvent, spaceEvent } from "../health/announce.ts";
import { memberHandler } from "../members/member-sync.ts";
import { mobilityArrival } from "../mobility/mobility-feed.ts";
import * as mobilitySyncRepo from "../mobility/mobility-sync.repository.ts";
import { passHandler, tariffHandler, visitHandler } from "../mobility/mobility-sync.ts";
import { credentialHandler } from "../resources/credential-sync.ts";
import * as resourceSyncRepo from "../resources/resource-sync.repository.ts";
import { resourceHandler } from "../resources/resource-sync.ts";
import { spaceHandler } from "../spaces/space-sync.ts";
import { collectTrainingUpdates, type TrainingLiveUpdates } from "../trainings/live-updates.ts";
import * as trainingSyncRepo from "../trainings/training-sync.repository.ts";
import {
  enrolmentHandler,
  enrolmentRequestHandler,
  trainingHandler,
} from "../trainings/training-sync.ts";
import { appendToLog, type LogEntry } from "./change-log.repository.ts";
import {
  APPLY_ORDER,
  type Consequence,
  type EntityHandlers,
  emptyWanted,
  type Known,
  type Wanted,
} from "./push-handlers.ts";
import * as repo from "./sync.repository.ts";

/**
 * Applying a node's pushed changes. One transaction per push:
 * 1. lock the node's row (its pushes apply one after the other) and read its pushed seq;
 * 2. walk the batch in seq order: skip what was already applied (a re-send), stop at a gap
 *    or at the first event that fails the contract or its entity's ownership rule (each
 *    entity's rule and writes live in its module's handler: modules/<domain>/<entity>-sync.ts);
 * 3. apply the accepted events — in bulk, or one by one under savepoints when the bulk
 *    statement fails, to name the event the database refuses (a duplicate name);
 * 4. append them to the hub's log (addressed as their handler says) and record the new
 *    pushed seq, then commit; live updates (bookings, availability) are published after.
 * The answer says the highest contiguous seq applied, and why it stopped if it did.
 */
export type PushService = ReturnType<typeof createPushService>;

type Accepted = { event: ChangeEvent; consequence: Consequence };

export function createPushService(deps: {
  store: SqlStore;
  geography: Geography;
  onLogAppended: () => void;
  /** A node created, changed or closed one of its satellites (dashboards follow these). */
  onSpaceChanged: (spaceId: string, fabriqueId: string, op: "UPSERT" | "DELETE") => void;
  onLivenessChanged: (change: { nodeId: string; fabriqueId: string; previous: string }) => void;
  /** A booking request was created, withdrawn or decided (after commit). */
  onBookingUpdated: (update: BookingUpdateEvent) => void;
  /** A resource's availability changed: a booking of it, or its schedule (after commit). */
  onAvailabilityChanged: (change: AvailabilityChangedEvent) => void;
  /** A training was written, its seats included (after commit). */
  onTrainingChanged: (training: TrainingChangedEvent) => void;
  /** An enrolment was written by its organiser (after commit). */
  onEnrolmentUpdated: (enrolment: EnrolmentUpdateEvent) => void;
  /** A visit was written (after commit). */
  onVisitRecorded?: (visit: VisitRecordedEvent) => void;
}) {
  const { store, geography } = deps;
  const handlers: EntityHandlers = {
    SPACE: spaceHandler(geography),
    MEMBER: memberHandler,
    ACTIVITY: activityHandler,
    RESOURCE: resourceHandler,
    BOOKING: bookingHandler,
    BOOKING_REQUEST: bookingRequestHandler,
    BOOKING_DECISION: bookingDecisionHandler,
    CREDENTIAL: credentialHandler,
    TRAINING: trainingHandler,
    ENROLMENT_REQUEST: enrolmentRequestHandler,
    ENROLMENT: enrolmentHandler,
    NODE_KEY: nodeKeyHandler,
    STATUS_LIST: statusListHandler,
    PASS: passHandler,
    VISIT: visitHandler,
    TARIFF: tariffHandler,
  };

  function reject(seq: number, code: string, message: string): PushRejection {
    return { seq, code, message };
  }

  /** The hub's rows for everything the batch refers to, one query per table. */
  async function load(session: SqlSession, wanted: Wanted): Promise<Known> {
    const byId = <R extends { id: string }>(rows: R[]) => new Map(rows.map((r) => [r.id, r]));
    return {
      spaces: byId(await repo.spacesByIds(session, [...wanted.spaces])),
      members: byId(await repo.membersByIds(session, [...wanted.members])),
      reports: new Map<string, repo.OwnedRow>(
        (await activityByKeys(session, wanted.reports)).map((r) => [
          activityEntityId(r.space_id, r.day),
          {
            id: activityEntityId(r.space_id, r.day),
            owner_node_id: r.owner_node_id,
            fabrique_id: null,
          },
        ]),
      ),
      resources: byId(await resourceSyncRepo.resourcesByIds(session, [...wanted.resources])),
      bookings: byId(await bookingRepo.bookingsByIds(session, [...wanted.bookings])),
      requests: byId(await bookingRepo.requestsByIds(session, [...wanted.requests])),
      credentials: byId(await resourceSyncRepo.credentialsByIds(session, [...wanted.credentials])),
      trainings: byId(await trainingSyncRepo.trainingsByIds(session, [...wanted.trainings])),
      enrolmentRequests: byId(
        await trainingSyncRepo.enrolmentRequestsByIds(session, [...wanted.enrolmentRequests]),
      ),
      enrolments: byId(await trainingSyncRepo.enrolmentsByIds(session, [...wanted.enrolments])),
      attendances: new Set([
        ...(await trainingSyncRepo.attendedOf(session, [...wanted.attendances])),
        ...wanted.attendedInBatch,
      ]),
      passes: byId(await mobilitySyncRepo.passesByIds(session, [...wanted.passes])),
      visits: byId(await mobilitySyncRepo.visitsByIds(session, [...wanted.visits])),
      tariffs: byId(await mobilitySyncRepo.tariffsByIds(session, [...wanted.tariffs])),
      homeNodes: await mobilitySyncRepo.homeNodesOf(session, [...wanted.homeNodes]),
    };
  }

  async function applyAll(
    session: SqlSession,
    node: repo.NodeSyncRow,
    accepted: Accepted[],
    known: Known,
  ) {
    // Each event carries the record's whole state: the last one per record decides.
    const last = new Map<string, ChangeEvent>();
    for (const { event } of accepted) last.set(`${event.entity}:${event.entityId}`, event);
    const finals = [...last.values()];
    for (const entity of APPLY_ORDER) {
      const ofEntity = finals.filter((e) => e.entity === entity);
      if (ofEntity.length > 0) await handlers[entity].apply(session, node, ofEntity, known);
    }
  }

  /** The database's verdict on one event, when the bulk apply was refused. */
  function databaseRefusal(error: unknown): { code: string; message: string } | undefined {
    const code = (error as { code?: string }).code;
    if (code === "23505")
      return {
        code: "DUPLICATE_NAME",
        message: "another open space of this network has this name",
      };
    if (code === "23503")
      return { code: "OWNERSHIP_VIOLATION", message: "refers to a record the hub does not have" };
    // Data exceptions (a NUL byte, malformed text): the event can never be stored as it is.
    if (code?.startsWith("22"))
      return { code: "INVALID_EVENT", message: "a value cannot be stored" };
    return undefined;
  }

  async function push(
    nodeId: string,
    rawEvents: unknown[],
    report: { pending: number; oldestPendingAt: Date | null },
  ): Promise<PushResult> {
    if (rawEvents.length > MAX_PUSH_BATCH) {
      throw new MaillageError("BATCH_TOO_LARGE", `at most ${MAX_PUSH_BATCH} events per push`, {
        max: MAX_PUSH_BATCH,
      });
    }
    const outcome = await store.transaction(async (session) => {
      const node = await repo.lockNode(session, nodeId);
      if (node?.status !== "ACTIVE") {
        throw new MaillageError("UNAUTHENTICATED", "unknown or revoked node");
      }
      // Order by the seq each event claims; an unparsable one is placed where it claims to be.
      const ordered = rawEvents
        .map((raw) => ({ raw, seq: Number((raw as { seq?: unknown } | null)?.seq) }))
        .sort(
          (a, b) => (Number.isFinite(a.seq) ? a.seq : 0) - (Number.isFinite(b.seq) ? b.seq : 0),
        );

      let expected = node.pushed_seq + 1;
      let duplicates = 0;
      const resent: { seq: number; id: unknown }[] = [];
      let expectedSeq: number | null = null;
      let rejected: PushRejection | null = null;
      const candidates: ChangeEvent[] = [];
      for (const { raw, seq } of ordered) {
        if (Number.isInteger(seq) && seq < expected) {
          duplicates++;
          resent.push({ seq, id: (raw as { id?: unknown }).id });
          continue;
        }
        if (Number.isInteger(seq) && seq > expected) {
          expectedSeq = expected;
          break;
        }
        const parsed = parseChangeEvent(raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          rejected = reject(
            Number.isInteger(seq) ? seq : expected,
            "INVALID_EVENT",
            `${issue?.path.join(".") || "event"}: ${issue?.message ?? "invalid"}`,
          );
          break;
        }
        if (parsed.data.nodeId !== node.id) {
          rejected = reject(
            seq,
            "OWNERSHIP_VIOLATION",
            `event of node ${parsed.data.nodeId} pushed by ${node.id}`,
          );
          break;
        }
        candidates.push(parsed.data);
        expected++;
      }

      // A re-sent seq must be the very event the hub applied: the same seq with another id
      // means the node lost its history (a restored backup) and is writing over it.
      const conflict = await repo.firstSeqConflict(session, node.id, resent);
      if (conflict !== undefined) {
        return {
          result: {
            appliedThrough: node.pushed_seq,
            applied: 0,
            duplicates: 0,
            expectedSeq: null,
            rejected: reject(
              conflict,
              "SEQ_CONFLICT",
              `seq ${conflict} was applied with another event id`,
            ),
          },
          previousLiveness: "ONLINE",
          fabriqueId: node.fabrique_id,
          spaces: [] as ChangeEvent[],
          live: { bookings: [], availability: [] } as LiveUpdates,
          trainingLive: { trainings: [], enrolments: [] } as TrainingLiveUpdates,
          visits: [] as VisitRecordedEvent[],
        };
      }

      // Ownership, against the hub's rows and what earlier events of this batch create.
      const wanted = emptyWanted();
      for (const event of candidates) handlers[event.entity].want(event, wanted);
      const known = await load(session, wanted);

      const existedBefore = new Set(known.spaces.keys());
      const accepted: Accepted[] = [];
      for (const event of candidates) {
        const handler = handlers[event.entity];
        const verdict = handler.check(node, event, known);
        if (!verdict.ok) {
          rejected = reject(event.seq, verdict.code, verdict.message);
          expectedSeq = null;
          break;
        }
        accepted.push({ event, consequence: handler.accept(node, event, known) });
      }

      // Apply: in bulk; if the database refuses, one by one to name the event it refuses.
      await session.exec("SAVEPOINT bulk");
      try {
        await applyAll(session, node, accepted, known);
        await session.exec("RELEASE SAVEPOINT bulk");
      } catch (error) {
        if (!databaseRefusal(error)) throw error;
        await session.exec("ROLLBACK TO SAVEPOINT bulk");
        const kept: Accepted[] = [];
        for (const a of accepted) {
          await session.exec("SAVEPOINT one");
          try {
            await applyAll(session, node, [a], known);
            await session.exec("RELEASE SAVEPOINT one");
            kept.push(a);
          } catch (oneError) {
            const refusal = databaseRefusal(oneError);
            if (!refusal) throw oneError;
            await session.exec("ROLLBACK TO SAVEPOINT one");
            rejected = reject(a.event.seq, refusal.code, refusal.message);
            expectedSeq = null;
            break;
          }
        }
        accepted.splice(kept.length);
      }

      await appendToLog(session, await logEntries(session, node.id, accepted));
      const pushedSeq = node.pushed_seq + accepted.length;
      const { previousLiveness, fabriqueId } = await repo.recordPush(session, node.id, {
        pushedSeq,
        pending: report.pending,
        oldestPendingAt: report.oldestPendingAt,
      });
      await announcePush(session, node, accepted, existedBefore, previousLiveness);
      const consequences = accepted.map((a) => a.consequence);
      const live = await collectLiveUpdates(session, consequences);
      const trainingLive = await collectTrainingUpdates(session, consequences);
      const visits = await mobilitySyncRepo.visitViews(session, [
        ...new Set(consequences.flatMap((c) => (c.visitId ? [c.visitId] : []))),
      ]);
      return {
        result: {
          appliedThrough: pushedSeq,
          applied: accepted.length,
          duplicates,
          expectedSeq,
          rejected,
        },
        previousLiveness,
        fabriqueId,
        spaces: accepted.filter((a) => a.event.entity === "SPACE").map((a) => a.event),
        live,
        trainingLive,
        visits,
      };
    });
    if (outcome.result.applied > 0) deps.onLogAppended();
    for (const event of outcome.spaces)
      deps.onSpaceChanged(event.entityId, outcome.fabriqueId, event.op);
    for (const update of outcome.live.bookings) deps.onBookingUpdated(update);
    for (const change of outcome.live.availability) deps.onAvailabilityChanged(change);
    for (const training of outcome.trainingLive.trainings) deps.onTrainingChanged(training);
    for (const enrolment of outcome.trainingLive.enrolments) deps.onEnrolmentUpdated(enrolment);
    for (const visit of outcome.visits) deps.onVisitRecorded?.(visit);
    if (outcome.previousLiveness !== "ONLINE") {
      deps.onLivenessChanged({
        nodeId,
        fabriqueId: outcome.fabriqueId,
        previous: outcome.previousLiveness,
      });
    }
    return outcome.result;
  }

  return { push };
}

/** The national feed's entries for what this push changed (same transaction). */
async function announcePush(
  session: SqlSession,
  node: repo.NodeSyncRow,
  accepted: Accepted[],
  existedBefore: Set<string>,
  previousLiveness: string,
): Promise<void> {
  const finalSpaces = new Map<string, Accepted>();
  const reports: { spaceId: string; day: string }[] = [];
  for (const a of accepted) {
    if (a.event.entity === "SPACE") finalSpaces.set(a.event.entityId, a);
    if (a.event.entity === "ACTIVITY" && a.event.op === "UPSERT") {
      const payload = a.event.payload as ActivityPayload;
      reports.push({ spaceId: payload.spaceId, day: payload.date });
    }
  }
  const rows = await repo.spacesForFeed(session, [...finalSpaces.keys()]);
  const spaceEvents = rows.map((space) => {
    const a = finalSpaces.get(space.id);
    const closed =
      a?.event.op === "DELETE" || (a?.event.payload as SpacePayload | null)?.status === "CLOSED";
    return spaceEvent(
      closed ? "SPACE_CLOSED" : existedBefore.has(space.id) ? "SPACE_UPDATED" : "SPACE_CREATED",
      space,
    );
  });
  await announce(session, [
    ...spaceEvents,
    await activityArrival(session, node.fabrique_id, reports),
    mobilityArrival(
      node.fabrique_id,
      accepted.filter((a) => a.event.entity === "VISIT").map((a) => a.event),
    ),
    previousLiveness === "ONLINE"
      ? undefined
      : nodeStatusEvent({
          nodeId: node.id,
          fabriqueId: node.fabrique_id,
          status: "ONLINE",
          previous: previousLiveness,
        }),
  ]);
}

/**
 * The log entries of the accepted events, addressed as their handlers say; a resource shared
 * anew is followed by its future slots, as the batch left them (resource-sync.ts).
 */
async function logEntries(
  session: SqlSession,
  nodeId: string,
  accepted: Accepted[],
): Promise<LogEntry[]> {
  const sharedAnew = accepted.flatMap((a) => a.consequence.reannounceSlotsOf ?? []);
  const slots = await futureBookings(session, { resourceIds: [...new Set(sharedAnew)] });
  return accepted.flatMap(({ event, consequence }) => {
    const entry = toLogEntry(event, consequence.targetNodeId);
    const resourceId = consequence.reannounceSlotsOf;
    if (resourceId === undefined) return [entry];
    return [
      entry,
      ...slots
        .filter((b) => b.resourceId === resourceId)
        .map((b) => hubEntry("BOOKING", b, { originNodeId: nodeId, targetNodeId: null })),
    ];
  });
}

function toLogEntry(event: ChangeEvent, targetNodeId: string | null): LogEntry {
  return {
    eventId: event.id,
    originNodeId: event.nodeId,
    seq: event.seq,
    entity: event.entity,
    entityId: event.entityId,
    op: event.op,
    payload: event.payload,
    occurredAt: event.occurredAt,
    schemaVersion: event.schemaVersion,
    targetNodeId,
  };
}
