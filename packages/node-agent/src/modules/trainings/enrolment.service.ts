import { ENROLMENT_STATUSES, MaillageError, parseInput } from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import { ulid } from "ulid";
import { z } from "zod";
import type { Viewer } from "../../context.ts";
import type { Logger } from "../../logger.ts";
import type { ChangeLog, LocalWriter } from "../../outbox/local-writer.ts";
import type { CredentialIssuer } from "../credentials/issuer.ts";
import { type MemberRecord, memberRepository } from "../members/member.repository.ts";
import { Publications, publishAll, type ResourcePubSub } from "../resources/live.ts";
import {
  type EnrolmentRecord,
  enrolmentRepository,
  LIVE_STATUSES,
  requestPayloadOf,
} from "./enrolment.repository.ts";
import { canSeeEnrolment } from "./live.ts";
import {
  assertNotEnrolled,
  assertOpen,
  assertPrerequisites,
  cancelPlaces,
  finish,
  moveSeats,
  publishEnrolment,
  release,
  seatOrWaitlist,
  sendEnrolment,
  sendTraining,
  type TrainingWrite,
  trainingWrite,
} from "./organiser.ts";
import { TRAINING_TEXTS } from "./texts.ts";
import { type TrainingRecord, trainingRepository } from "./training.repository.ts";
import { idOf, MaillageId } from "./training.service.ts";

/**
 * Enrolments (issue 10, points 2–5), at the member's home agent and at the organiser's.
 *
 * Home side (the member is homed here):
 * - `enrol(trainingId, memberId)`: the fabrique's team for any member homed in its network, a
 *   satellite for its own space's members, a member for itself. A training organised here is
 *   decided at once (organiser.ts: ENROLLED, or WAITLISTED with its position). Another node's
 *   training (its replica here) is checked as far as this node can (ENROLMENT_CLOSED,
 *   ALREADY_ENROLLED, PREREQUISITE_MISSING from the credentials replicated here), then stored
 *   PENDING with its ENROLMENT_REQUEST event (with the member's hashed identity for the
 *   credential, never a name): hub or organiser offline, it waits; the organiser's answer
 *   (ENROLMENT) is copied onto it when it comes back.
 * - `cancel`: the member withdraws (CANCELLED_BY_MEMBER) until cancelDeadlineMinutes before the
 *   start for a seat held (CANCEL_DEADLINE_PASSED after, nothing written); a place in line or
 *   an offer at any time. For another node's training the withdrawal travels (cancelled: true).
 * - `acceptOffer`: takes a seat offered from the waitlist before its expiry (OFFER_EXPIRED
 *   after, nothing written); for another node's training it travels (acceptOffer: true) and
 *   the organiser answers ENROLLED if the member accepted in time.
 *
 * Organiser side (the training is this node's):
 * - `decidePending` (at start, after a pull that brought requests, and every minute; one run
 *   at a time): answers other nodes' requests by the same rules as a local enrolment, or
 *   DECLINED with the refusal's code as reasonCode (TRAINING_NOT_SHARED for a LOCAL training,
 *   PREREQUISITE_MISSING, ENROLMENT_CLOSED, ALREADY_ENROLLED); applies withdrawals (the seat
 *   goes to the next in line) and acceptances.
 * - `remove`: the team takes a place back (CANCELLED_BY_ORGANISER); its seat goes on.
 * - `sweep` (at start, every minute, and at the next due instant by a timer; its state is the
 *   store's, so it survives restarts): a training still under its minimum at its decision
 *   deadline is CANCELLED (MINIMUM_NOT_REACHED) and every place with it, each member's node
 *   told; one that met it is decided for good (places given back later do not cancel it); an
 *   offer past its expiry is CANCELLED (OFFER_EXPIRED) and passes to the next.
 * - `markAttendance`: ATTENDED or NO_SHOW, from the start on (offline too: it travels later).
 *   ATTENDED with a granted credential issues it (credentials/issuer.ts; expiry = attendance +
 *   validityDays), to a member of any network; back to NO_SHOW revokes it.
 */
export type EnrolmentService = ReturnType<typeof createEnrolmentService>;

const Id = MaillageId;

const EnrolInput = z.object({ trainingId: Id, memberId: Id }).strict();
const RemoveInput = z.object({ id: Id, reason: z.string().trim().max(1000).nullish() }).strict();
const AttendanceInput = z.object({ id: Id, status: z.enum(["ATTENDED", "NO_SHOW"]) }).strict();
const ListInput = z
  .object({
    trainingId: Id.nullish(),
    memberId: Id.nullish(),
    status: z.enum(ENROLMENT_STATUSES).nullish(),
  })
  .strict();

/** The sweeper's safety-net period (it also runs at the next due instant). */
export const SWEEP_INTERVAL_MS = 60_000;

const UNIQUE_VIOLATION = "23505";

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION;
}

/** A run of `fn` at a time; a call during a run shares one run queued after it. */
function singleFlight(fn: () => Promise<number>) {
  let running: Promise<number> | undefined;
  let queued: Promise<number> | undefined;
  let closed = false;
  const start = (): Promise<number> => {
    const run = fn().finally(() => {
      if (running === run) running = undefined;
    });
    running = run;
    return run;
  };
  return {
    run(): Promise<number> {
      if (closed) return Promise.resolve(0);
      if (queued) return queued;
      if (!running) return start();
      const next = running
        .catch(() => 0)
        .then(() => {
          queued = undefined;
          return closed ? 0 : start();
        });
      queued = next;
      return next;
    },
    async close(): Promise<void> {
      closed = true;
      await Promise.allSettled([running, queued]);
    },
  };
}

export function createEnrolmentService(deps: {
  store: SqlStore;
  writer: LocalWriter;
  pubsub: ResourcePubSub;
  issuer: CredentialIssuer;
  logger?: Logger | undefined;
  now?: (() => Date) | undefined;
}) {
  const { store, writer, pubsub, issuer } = deps;
  const now = deps.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  /** The timer being set (awaited by close: it reads the store). */
  let arming: Promise<void> = Promise.resolve();
  let closed = false;

  async function writeTrainings<T>(fn: (w: TrainingWrite) => Promise<T>): Promise<T> {
    const pubs = new Publications();
    const result = await writer.write(async (tx: SqlSession, changes: ChangeLog) => {
      const w = trainingWrite(tx, changes, pubs, now());
      const value = await fn(w);
      await finish(w);
      return value;
    });
    publishAll(pubsub, pubs.items);
    // A deadline, an offer or a seat may have changed: the sweeper's timer follows.
    rearm();
    return result;
  }

  /** Who may act for a member homed here: its team, its own space's satellite, itself. */
  function mayActFor(viewer: Viewer, member: Pick<MemberRecord, "id" | "homeSpaceId">): boolean {
    if (viewer.role === "FABRIQUE_ADMIN") return true;
    if (viewer.role === "SATELLITE") return viewer.spaceId === member.homeSpaceId;
    return viewer.memberId === member.id;
  }

  /** A member homed here the caller may enrol; NOT_FOUND / FORBIDDEN otherwise. */
  async function enrollableMember(
    db: SqlSession,
    viewer: Viewer,
    memberId: string,
  ): Promise<MemberRecord> {
    const member = await memberRepository.find(db, memberId);
    if (!member) {
      throw new MaillageError("NOT_FOUND", `no member ${memberId}`, { field: "memberId" });
    }
    if (!member.owned) {
      throw new MaillageError(
        "FORBIDDEN",
        "this member is homed in another network: its home node enrols it",
        { field: "memberId" },
      );
    }
    if (!mayActFor(viewer, member)) {
      throw new MaillageError(
        "FORBIDDEN",
        viewer.role === "MEMBER"
          ? "a member enrols itself only"
          : "a satellite enrols its own space's members",
        { field: "memberId" },
      );
    }
    return member;
  }

  async function visibility(db: SqlSession, e: EnrolmentRecord) {
    const training = await trainingRepository.find(db, e.trainingId);
    const member = await memberRepository.find(db, e.memberId);
    return {
      training,
      member,
      trainingSpaceId: training?.spaceId ?? null,
      memberHomeSpaceId: member?.homeSpaceId ?? null,
    };
  }

  /** An enrolment the caller may see, locked; NOT_FOUND otherwise. */
  async function visibleEnrolment(db: SqlSession, viewer: Viewer, id: string) {
    const enrolment = await enrolmentRepository.findForUpdate(db, id);
    if (!enrolment) throw new MaillageError("NOT_FOUND", `no enrolment ${id}`, { id });
    const seen = await visibility(db, enrolment);
    if (!canSeeEnrolment(viewer, { ...seen, enrolment })) {
      throw new MaillageError("NOT_FOUND", `no enrolment ${id}`, { id });
    }
    return { enrolment, ...seen };
  }

  /** An enrolment of a member homed here, which the caller may act for. */
  async function homeEnrolment(db: SqlSession, viewer: Viewer, id: string) {
    const found = await visibleEnrolment(db, viewer, id);
    if (!found.member?.owned || !mayActFor(viewer, found.member)) {
      throw new MaillageError(
        "FORBIDDEN",
        "the member acts at its home node (its team, its space or itself); the organiser removes a place with removeEnrolment",
        { id },
      );
    }
    return found;
  }

  /** A training organised here whose places the caller manages: its team, its organising satellite. */
  function assertOrganiser(viewer: Viewer, training: TrainingRecord | undefined, id: string) {
    if (!training?.owned) {
      throw new MaillageError(
        "FORBIDDEN",
        "the training is organised by another node: its organiser manages its places",
        { id },
      );
    }
    if (
      viewer.role === "FABRIQUE_ADMIN" ||
      (viewer.role === "SATELLITE" && training.spaceId === viewer.spaceId)
    ) {
      return training;
    }
    throw new MaillageError("FORBIDDEN", "only the training's organiser manages its places", {
      id,
    });
  }

  function invalid(enrolment: EnrolmentRecord, message: string): MaillageError {
    return new MaillageError("INVALID_TRANSITION", message, { status: enrolment.status });
  }

  /**
   * An offer still OFFERED: accepted in time (at `acceptedAt`) it becomes ENROLLED; past its
   * expiry it passes to the next. Whether it changed.
   */
  async function settleOffer(
    w: TrainingWrite,
    training: TrainingRecord,
    e: EnrolmentRecord,
    acceptedAt: Date | null,
  ): Promise<EnrolmentRecord | undefined> {
    if (e.status !== "OFFERED" || e.offerExpiresAt === null) return undefined;
    if (acceptedAt !== null && acceptedAt.getTime() <= e.offerExpiresAt.getTime()) {
      const enrolled = await enrolmentRepository.setState(w.tx, e.id, {
        ...e,
        status: "ENROLLED",
        offerExpiresAt: null,
      });
      return sendEnrolment(w, enrolled, training);
    }
    if (w.at.getTime() < e.offerExpiresAt.getTime()) return undefined;
    return release(w, training, e, {
      status: "CANCELLED",
      reasonCode: "OFFER_EXPIRED",
      reason: TRAINING_TEXTS.reasons.OFFER_EXPIRED,
    });
  }

  /** Processes one incoming request of the decider's queue; whether it answered. */
  async function processQueued(id: string): Promise<boolean> {
    return writeTrainings(async (w) => {
      const e = await enrolmentRepository.findForUpdate(w.tx, id);
      if (!e?.organisedHere || e.pendingAction === null) return false;
      const training = await trainingRepository.findForUpdate(w.tx, e.trainingId);
      if (!training?.owned) return false;
      switch (e.pendingAction) {
        case "DECIDE": {
          if (e.status !== "PENDING") break;
          let state: Awaited<ReturnType<typeof seatOrWaitlist>>;
          try {
            if (training.scope === "LOCAL") {
              throw new MaillageError(
                "TRAINING_NOT_SHARED",
                "this training is open to its own network's members only",
              );
            }
            assertOpen(training, w.at);
            await assertNotEnrolled(w.tx, training.id, e.memberId, e.id);
            await assertPrerequisites(w.tx, training, e.memberId);
            state = await seatOrWaitlist(w, training);
          } catch (error) {
            if (!(error instanceof MaillageError)) throw error;
            state = {
              status: "DECLINED",
              position: null,
              offerExpiresAt: null,
              reasonCode: error.code,
              reason: error.message,
              credentialId: null,
            };
          }
          const decided = await enrolmentRepository.setState(w.tx, e.id, state);
          await sendEnrolment(w, decided, training);
          return true;
        }
        case "WITHDRAW": {
          if (
            e.status === "PENDING" ||
            e.status === "ENROLLED" ||
            e.status === "WAITLISTED" ||
            e.status === "OFFERED"
          ) {
            await release(w, training, e, {
              status: "CANCELLED",
              reasonCode: "CANCELLED_BY_MEMBER",
              reason: TRAINING_TEXTS.reasons.CANCELLED_BY_MEMBER,
            });
            return true;
          }
          break;
        }
        case "ACCEPT_OFFER": {
          if (await settleOffer(w, training, e, e.actionAt ?? w.at)) return true;
          break;
        }
        case "ANSWER":
          break;
      }
      // Nothing changes: the state as it stands is the answer (sent again, which is harmless).
      const answered = await enrolmentRepository.setState(w.tx, e.id, e);
      await sendEnrolment(w, answered, training);
      return true;
    });
  }

  const decider = singleFlight(async () => {
    let answered = 0;
    for (const id of await enrolmentRepository.awaitingOrganiser(store)) {
      try {
        if (await processQueued(id)) answered += 1;
      } catch (err) {
        deps.logger?.error({ err, enrolmentId: id }, "answering an enrolment request failed");
      }
    }
    return answered;
  });

  /** One pass of the sweeper: deadlines come, offers expired. How many things it changed. */
  async function sweepOnce(): Promise<number> {
    let changed = 0;
    for (const id of await trainingRepository.decisionsDueAt(store, now())) {
      try {
        const done = await writeTrainings(async (w) => {
          const training = await trainingRepository.findForUpdate(w.tx, id);
          if (
            !training?.owned ||
            training.status !== "SCHEDULED" ||
            training.decisionAt === null ||
            training.decisionAt.getTime() > w.at.getTime()
          ) {
            return false;
          }
          if (training.seats.taken >= training.minimum) {
            // Met: decided for good (places given back later never cancel it).
            await trainingRepository.markMinimumMet(w.tx, id, w.at);
            return false;
          }
          const cancelled = await trainingRepository.cancel(w.tx, id, "MINIMUM_NOT_REACHED");
          if (!cancelled) return false;
          await cancelPlaces(w, cancelled, "MINIMUM_NOT_REACHED");
          await sendTraining(w, id);
          return true;
        });
        if (done) changed += 1;
      } catch (err) {
        deps.logger?.error(
          { err, trainingId: id },
          "cancelling a training under its minimum failed",
        );
      }
    }
    for (const id of await enrolmentRepository.expiredOffers(store, now())) {
      try {
        const done = await writeTrainings(async (w) => {
          const e = await enrolmentRepository.findForUpdate(w.tx, id);
          if (!e?.organisedHere) return false;
          const training = await trainingRepository.findForUpdate(w.tx, e.trainingId);
          if (!training?.owned) return false;
          // An acceptance pulled and not answered yet, made in time, wins over the expiry.
          const acceptedAt = e.pendingAction === "ACCEPT_OFFER" ? e.actionAt : null;
          return (await settleOffer(w, training, e, acceptedAt)) !== undefined;
        });
        if (done) changed += 1;
      } catch (err) {
        deps.logger?.error({ err, enrolmentId: id }, "expiring an offer failed");
      }
    }
    return changed;
  }

  const sweeper = singleFlight(async () => {
    const changed = await sweepOnce();
    await arm();
    return changed;
  });

  /** Sets the timer to the next decision deadline or offer expiry (the interval backs it up). */
  async function arm(): Promise<void> {
    if (closed) return;
    const at = now();
    const [decision, offer] = await Promise.all([
      trainingRepository.nextDecisionAfter(store, at),
      enrolmentRepository.nextOfferExpiryAfter(store, at),
    ]);
    const next = [decision, offer]
      .filter((d): d is Date => d !== null)
      .reduce<number | null>(
        (min, d) => (min === null ? d.getTime() : Math.min(min, d.getTime())),
        null,
      );
    clearTimeout(timer);
    timer = undefined;
    if (next === null) return;
    const delay = Math.min(Math.max(next - at.getTime(), 0) + 5, 2 ** 31 - 1);
    timer = setTimeout(() => {
      sweeper
        .run()
        .catch((err: unknown) => deps.logger?.error({ err }, "sweeping trainings failed"));
    }, delay);
    timer.unref();
  }

  /** After a write that may have set a new deadline or offer: the timer follows. */
  function rearm(): void {
    arming = arming
      .then(arm)
      .catch((err: unknown) => deps.logger?.error({ err }, "arming the training timer failed"));
  }

  return {
    /** Enrolments the caller may see (see canSeeEnrolment), oldest first. */
    async list(viewer: Viewer, raw: unknown): Promise<EnrolmentRecord[]> {
      const f = parseInput(ListInput, raw ?? {});
      const memberId = viewer.role === "MEMBER" ? (viewer.memberId ?? "") : (f.memberId ?? null);
      if (viewer.role === "MEMBER" && f.memberId != null && f.memberId !== memberId) return [];
      const all = await enrolmentRepository.list(store, {
        trainingId: f.trainingId ?? null,
        memberId,
        status: f.status ?? null,
      });
      if (viewer.role !== "SATELLITE") return all;
      const kept: EnrolmentRecord[] = [];
      for (const enrolment of all) {
        if (canSeeEnrolment(viewer, { ...(await visibility(store, enrolment)), enrolment })) {
          kept.push(enrolment);
        }
      }
      return kept;
    },

    async find(viewer: Viewer, id: string): Promise<EnrolmentRecord | undefined> {
      const enrolment = await enrolmentRepository.find(store, id);
      if (!enrolment) return undefined;
      const seen = await visibility(store, enrolment);
      return canSeeEnrolment(viewer, { ...seen, enrolment }) ? enrolment : undefined;
    },

    async enrol(viewer: Viewer, raw: unknown): Promise<EnrolmentRecord> {
      const input = parseInput(EnrolInput, raw);
      const enrolment = await writeTrainings(async (w) => {
        const member = await enrollableMember(w.tx, viewer, input.memberId);
        const training = await trainingRepository.findForUpdate(w.tx, input.trainingId);
        if (!training || !(training.owned || training.scope !== "LOCAL")) {
          throw new MaillageError("NOT_FOUND", `no training ${input.trainingId}`, {
            field: "trainingId",
          });
        }
        assertOpen(training, w.at);
        await assertNotEnrolled(w.tx, training.id, member.id);
        await assertPrerequisites(w.tx, training, member.id);
        try {
          if (training.owned) {
            const state = await seatOrWaitlist(w, training);
            const placed = await enrolmentRepository.insert(w.tx, {
              id: ulid(),
              trainingId: training.id,
              memberId: member.id,
              organisedHere: true,
              requesterNodeId: null,
              identityHash: null,
              ...state,
            });
            return sendEnrolment(w, placed, training);
          }
          const pending = await enrolmentRepository.insert(w.tx, {
            id: ulid(),
            trainingId: training.id,
            memberId: member.id,
            organisedHere: false,
            requesterNodeId: null,
            identityHash: await issuer.identityHashOf(w.tx, member.id),
            status: "PENDING",
            position: null,
            offerExpiresAt: null,
            reasonCode: null,
            reason: null,
            credentialId: null,
          });
          await w.changes.append({
            entity: "ENROLMENT_REQUEST",
            entityId: pending.id,
            op: "UPSERT",
            payload: requestPayloadOf(pending),
          });
          await publishEnrolment(w.tx, w.pubs, pending, training.spaceId);
          return pending;
        } catch (error) {
          // A concurrent enrolment of the same member won the live place (the unique index).
          if (!isUniqueViolation(error)) throw error;
          throw new MaillageError(
            "ALREADY_ENROLLED",
            "the member already holds a place in this training",
            {},
          );
        }
      });
      return enrolment;
    },

    async cancel(viewer: Viewer, rawId: string): Promise<EnrolmentRecord> {
      const id = idOf(rawId);
      const cancelled = await writeTrainings(async (w) => {
        const { enrolment: e, training } = await homeEnrolment(w.tx, viewer, id);
        if (
          !(LIVE_STATUSES.includes(e.status) && e.status !== "ATTENDED" && e.status !== "NO_SHOW")
        ) {
          throw invalid(e, `the enrolment is ${e.status}`);
        }
        if (e.status === "ENROLLED" && training) {
          const deadline = training.startsAt.getTime() - training.cancelDeadlineMinutes * 60_000;
          if (w.at.getTime() > deadline) {
            throw new MaillageError(
              "CANCEL_DEADLINE_PASSED",
              `this place could be cancelled until ${new Date(deadline).toISOString()}`,
              { deadline: new Date(deadline).toISOString() },
            );
          }
        }
        if (e.organisedHere && training) {
          const locked = (await trainingRepository.findForUpdate(w.tx, training.id)) ?? training;
          return release(w, locked, e, {
            status: "CANCELLED",
            reasonCode: "CANCELLED_BY_MEMBER",
            reason: TRAINING_TEXTS.reasons.CANCELLED_BY_MEMBER,
          });
        }
        const withdrawn = await enrolmentRepository.setState(w.tx, e.id, {
          status: "CANCELLED",
          position: null,
          offerExpiresAt: null,
          reasonCode: "CANCELLED_BY_MEMBER",
          reason: TRAINING_TEXTS.reasons.CANCELLED_BY_MEMBER,
          credentialId: null,
        });
        await w.changes.append({
          entity: "ENROLMENT_REQUEST",
          entityId: withdrawn.id,
          op: "UPSERT",
          payload: requestPayloadOf(withdrawn),
        });
        await publishEnrolment(w.tx, w.pubs, withdrawn, training?.spaceId ?? null);
        return withdrawn;
      });
      return cancelled;
    },

    async acceptOffer(viewer: Viewer, rawId: string): Promise<EnrolmentRecord> {
      const id = idOf(rawId);
      return writeTrainings(async (w) => {
        const { enrolment: e, training } = await homeEnrolment(w.tx, viewer, id);
        if (e.status !== "OFFERED" || e.offerExpiresAt === null) {
          throw invalid(e, `no seat is offered: the enrolment is ${e.status}`);
        }
        if (w.at.getTime() > e.offerExpiresAt.getTime()) {
          throw new MaillageError(
            "OFFER_EXPIRED",
            `the seat was offered until ${e.offerExpiresAt.toISOString()}`,
            { offerExpiresAt: e.offerExpiresAt.toISOString() },
          );
        }
        if (e.organisedHere && training) {
          return (await settleOffer(w, training, e, w.at)) ?? e;
        }
        // Sent once; the organiser's ENROLLED answer clears the mark.
        if (e.pendingAction === "ACCEPT_OFFER") return e;
        const marked = await enrolmentRepository.markAction(w.tx, e.id, "ACCEPT_OFFER", w.at);
        await w.changes.append({
          entity: "ENROLMENT_REQUEST",
          entityId: e.id,
          op: "UPSERT",
          payload: requestPayloadOf(marked, { acceptOffer: true }),
        });
        await publishEnrolment(w.tx, w.pubs, marked, training?.spaceId ?? null);
        return marked;
      });
    },

    async remove(viewer: Viewer, raw: unknown): Promise<EnrolmentRecord> {
      const input = parseInput(RemoveInput, raw);
      return writeTrainings(async (w) => {
        const { enrolment: e } = await visibleEnrolment(w.tx, viewer, input.id);
        const training = assertOrganiser(
          viewer,
          await trainingRepository.findForUpdate(w.tx, e.trainingId),
          input.id,
        );
        if (!["PENDING", "ENROLLED", "WAITLISTED", "OFFERED"].includes(e.status)) {
          throw invalid(e, `the enrolment is ${e.status}`);
        }
        return release(w, training, e, {
          status: "CANCELLED",
          reasonCode: "CANCELLED_BY_ORGANISER",
          reason: input.reason ?? TRAINING_TEXTS.reasons.REMOVED_BY_ORGANISER,
        });
      });
    },

    async markAttendance(viewer: Viewer, raw: unknown): Promise<EnrolmentRecord> {
      const input = parseInput(AttendanceInput, raw);
      return writeTrainings(async (w) => {
        const { enrolment: e } = await visibleEnrolment(w.tx, viewer, input.id);
        const training = assertOrganiser(
          viewer,
          await trainingRepository.findForUpdate(w.tx, e.trainingId),
          input.id,
        );
        if (training.status === "CANCELLED") {
          throw new MaillageError("INVALID_TRANSITION", "the training was cancelled", {
            status: e.status,
            reason: "TRAINING_CANCELLED",
          });
        }
        if (w.at.getTime() < training.startsAt.getTime()) {
          throw new MaillageError(
            "INVALID_TRANSITION",
            "attendance is recorded from the training's start",
            { status: e.status, reason: "NOT_STARTED" },
          );
        }
        if (!["ENROLLED", "ATTENDED", "NO_SHOW"].includes(e.status)) {
          throw invalid(e, `only an enrolled member attends; this enrolment is ${e.status}`);
        }
        if (e.status === input.status) return e;
        let credentialId = e.credentialId;
        if (input.status === "NO_SHOW" && credentialId !== null) {
          await issuer.revoke(w.tx, w.changes, credentialId);
          credentialId = null;
        }
        // The hub accepts a training's credential once it holds the ATTENDED place: that goes
        // first, the credential after, then the place naming it.
        let marked = await enrolmentRepository.setState(w.tx, e.id, {
          ...e,
          status: input.status,
          credentialId,
        });
        await moveSeats(w, training.id, e.status, input.status);
        await sendEnrolment(w, marked, training);
        if (input.status === "ATTENDED" && training.grants !== null) {
          const member = await memberRepository.find(w.tx, e.memberId);
          const identityHash =
            e.identityHash ??
            (member?.owned ? await issuer.identityHashOf(w.tx, e.memberId) : null);
          const validity = training.grants.validityDays;
          const credential = await issuer.issue(w.tx, w.changes, {
            memberId: e.memberId,
            type: training.grants.type,
            issuedAt: w.at,
            expiresAt: validity === null ? null : new Date(w.at.getTime() + validity * 86_400_000),
            trainingId: training.id,
            identityHash,
            achievement: { name: training.title, description: training.description },
          });
          marked = await enrolmentRepository.setState(w.tx, e.id, {
            ...marked,
            credentialId: credential.id,
          });
          await sendEnrolment(w, marked, training);
        }
        return marked;
      });
    },

    /** Answers what waits for this organiser (see above). How many requests it answered. */
    decidePending: (): Promise<number> => decider.run(),

    /** One sweep now (see above), then the timer is set to the next due instant. */
    sweep: (): Promise<number> => sweeper.run(),

    /** After a local write that may set a new deadline or offer (a training created). */
    rearm,

    /** Stops the timer and waits for the runs going on. Never rejects. */
    async close(): Promise<void> {
      closed = true;
      clearTimeout(timer);
      await Promise.allSettled([decider.close(), sweeper.close(), arming]);
      clearTimeout(timer);
    },
  };
}
