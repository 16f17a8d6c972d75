import { credentialValid, type EnrolmentStatus, holdsSeat, MaillageError } from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";
import type { ChangeLog } from "../../outbox/local-writer.ts";
import { memberRepository } from "../members/member.repository.ts";
import { credentialRepository } from "../resources/credential.repository.ts";
import type { Publications } from "../resources/live.ts";
import {
  type EnrolmentRecord,
  type EnrolmentState,
  enrolmentPayloadOf,
  enrolmentRepository,
} from "./enrolment.repository.ts";
import { TRAINING_TEXTS } from "./texts.ts";
import {
  type TrainingRecord,
  trainingPayloadOf,
  trainingRepository,
} from "./training.repository.ts";

/**
 * The organiser's rules for the places of a training it owns, one implementation for every
 * road: a local enrolment, the decider answering another node's request, a member's
 * cancellation, the team removing someone, a capacity raised, the sweeper. Each function runs
 * in the caller's transaction (the local write lock held), writes the rows, appends the events
 * (ENROLMENT for each place that changed; TRAINING once per training whose seats changed, at
 * `finish`) and collects the live updates to publish after commit.
 *
 * - A seat is taken by the store (trainingRepository.takeSeat: taken < capacity in the UPDATE,
 *   a CHECK behind it); no seat left: WAITLISTED at the next position.
 * - Any freed seat goes to the first in line at once (`promote`): ENROLLED, or OFFERED until
 *   now + offerHours (never past the start) when the training holds offers. Those behind move
 *   up one, and each of them is told its new position. No promotion once the training started.
 */
export type TrainingWrite = {
  tx: SqlSession;
  changes: ChangeLog;
  pubs: Publications;
  at: Date;
  /** Trainings whose seats changed: their TRAINING event goes at `finish`. */
  touched: Set<string>;
};

export function trainingWrite(
  tx: SqlSession,
  changes: ChangeLog,
  pubs: Publications,
  at: Date,
): TrainingWrite {
  return { tx, changes, pubs, at, touched: new Set() };
}

/** Publishes an enrolment's change (after commit), with what the role filters need. */
export async function publishEnrolment(
  tx: SqlSession,
  pubs: Publications,
  enrolment: EnrolmentRecord,
  trainingSpaceId: string | null,
): Promise<void> {
  const member = await memberRepository.find(tx, enrolment.memberId);
  pubs.items.push({
    topic: "enrolmentUpdated",
    update: { enrolment, trainingSpaceId, memberHomeSpaceId: member?.homeSpaceId ?? null },
  });
}

export function publishSeats(pubs: Publications, training: TrainingRecord): void {
  pubs.items.push({ topic: "trainingSeatsChanged", training });
}

/** An enrolment of a training organised here changed: its ENROLMENT event and live update. */
export async function sendEnrolment(
  w: TrainingWrite,
  enrolment: EnrolmentRecord,
  training: Pick<TrainingRecord, "id" | "spaceId">,
): Promise<EnrolmentRecord> {
  if (enrolment.status !== "PENDING") {
    await w.changes.append({
      entity: "ENROLMENT",
      entityId: enrolment.id,
      op: "UPSERT",
      payload: enrolmentPayloadOf(enrolment),
    });
  }
  await publishEnrolment(w.tx, w.pubs, enrolment, training.spaceId);
  w.touched.add(training.id);
  return enrolment;
}

/** A training of this node changed: its TRAINING event (to the hub, and on) and live seats. */
export async function sendTraining(w: TrainingWrite, trainingId: string): Promise<TrainingRecord> {
  const training = await trainingRepository.find(w.tx, trainingId);
  if (!training) throw new Error(`no training ${trainingId}`);
  await w.changes.append({
    entity: "TRAINING",
    entityId: training.id,
    op: "UPSERT",
    payload: trainingPayloadOf(training),
  });
  publishSeats(w.pubs, training);
  w.touched.delete(trainingId);
  return training;
}

/** Sends the TRAINING event of every training whose seats changed in this write. */
export async function finish(w: TrainingWrite): Promise<void> {
  for (const id of [...w.touched]) await sendTraining(w, id);
}

/** ENROLMENT_CLOSED: the training was cancelled, or has started. */
export function assertOpen(training: TrainingRecord, at: Date): void {
  if (training.status === "CANCELLED") {
    throw new MaillageError("ENROLMENT_CLOSED", "the training was cancelled", {
      reason: "CANCELLED",
    });
  }
  if (at.getTime() >= training.startsAt.getTime()) {
    throw new MaillageError("ENROLMENT_CLOSED", "the training has started", {
      reason: "STARTED",
    });
  }
}

/**
 * PREREQUISITE_MISSING: the member does not hold, valid at the training's start, one of its
 * prerequisite credential types (granted at home, or replicated from the issuing node).
 */
export async function assertPrerequisites(
  db: SqlSession,
  training: Pick<TrainingRecord, "prerequisites" | "startsAt">,
  memberId: string,
): Promise<void> {
  if (training.prerequisites.length === 0) return;
  const held = await credentialRepository.ofMember(db, memberId);
  for (const type of training.prerequisites) {
    if (held.some((c) => c.type === type && credentialValid(c, training.startsAt))) continue;
    throw new MaillageError(
      "PREREQUISITE_MISSING",
      `this training requires the credential "${type}", which the member does not hold (or holds expired at the start)`,
      { credential: type },
    );
  }
}

/** ALREADY_ENROLLED: the member holds a live place in the training (but `except`). */
export async function assertNotEnrolled(
  db: SqlSession,
  trainingId: string,
  memberId: string,
  except?: string,
): Promise<void> {
  const live = await enrolmentRepository.live(db, trainingId, memberId);
  if (live && live.id !== except) {
    throw new MaillageError(
      "ALREADY_ENROLLED",
      "the member already holds a place in this training",
      {
        enrolmentId: live.id,
        status: live.status,
      },
    );
  }
}

/** A seat if one is left (the store decides), else the next place in line. */
export async function seatOrWaitlist(
  w: TrainingWrite,
  training: TrainingRecord,
): Promise<EnrolmentState> {
  const placed = { offerExpiresAt: null, reasonCode: null, reason: null, credentialId: null };
  w.touched.add(training.id);
  if (await trainingRepository.takeSeat(w.tx, training.id)) {
    return { ...placed, status: "ENROLLED", position: null };
  }
  const position = await trainingRepository.joinWaitlist(w.tx, training.id);
  return { ...placed, status: "WAITLISTED", position };
}

/** How a status counts in the training's seats. */
function seatsOf(status: EnrolmentStatus) {
  return {
    taken: holdsSeat(status) ? 1 : 0,
    waitlisted: status === "WAITLISTED" ? 1 : 0,
    attended: status === "ATTENDED" ? 1 : 0,
    noShow: status === "NO_SHOW" ? 1 : 0,
  };
}

/** Moves the seat counts from one status to another. */
export async function moveSeats(
  w: TrainingWrite,
  trainingId: string,
  from: EnrolmentStatus,
  to: EnrolmentStatus,
): Promise<void> {
  const a = seatsOf(from);
  const b = seatsOf(to);
  const delta = {
    taken: b.taken - a.taken,
    waitlisted: b.waitlisted - a.waitlisted,
    attended: b.attended - a.attended,
    noShow: b.noShow - a.noShow,
  };
  if (Object.values(delta).every((d) => d === 0)) return;
  await trainingRepository.adjustSeats(w.tx, trainingId, delta);
  w.touched.add(trainingId);
}

/** Those behind `position` move up one, and each is told. */
async function closeGap(w: TrainingWrite, training: TrainingRecord, position: number) {
  for (const moved of await enrolmentRepository.closeGap(w.tx, training.id, position)) {
    await sendEnrolment(w, moved, training);
  }
}

/**
 * Ends a place (CANCELLED or DECLINED): its seat freed and given to the next in line, or its
 * place in line closed up. Returns the enrolment as it now stands.
 */
export async function release(
  w: TrainingWrite,
  training: TrainingRecord,
  enrolment: EnrolmentRecord,
  end: {
    status: "CANCELLED" | "DECLINED";
    reasonCode: string;
    reason: string;
  },
): Promise<EnrolmentRecord> {
  const ended = await enrolmentRepository.setState(w.tx, enrolment.id, {
    status: end.status,
    position: null,
    offerExpiresAt: null,
    reasonCode: end.reasonCode,
    reason: end.reason,
    credentialId: enrolment.credentialId,
  });
  await moveSeats(w, training.id, enrolment.status, end.status);
  await sendEnrolment(w, ended, training);
  if (enrolment.status === "WAITLISTED" && enrolment.position !== null) {
    await closeGap(w, training, enrolment.position);
  }
  if (holdsSeat(enrolment.status)) await promote(w, training.id);
  return ended;
}

/**
 * Gives free seats to the first in line, in order, while seats remain and the training has not
 * started: ENROLLED, or OFFERED (held offerHours, never past the start).
 */
export async function promote(w: TrainingWrite, trainingId: string): Promise<void> {
  for (;;) {
    const training = await trainingRepository.findForUpdate(w.tx, trainingId);
    if (!training?.owned || training.status !== "SCHEDULED") return;
    if (w.at.getTime() >= training.startsAt.getTime()) return;
    const first = await enrolmentRepository.firstWaitlisted(w.tx, trainingId);
    if (!first) return;
    if (!(await trainingRepository.takeSeat(w.tx, trainingId))) return;
    const offered = training.offerHours !== null;
    const expiry = offered
      ? new Date(
          Math.min(
            w.at.getTime() + (training.offerHours as number) * 3_600_000,
            training.startsAt.getTime(),
          ),
        )
      : null;
    const promoted = await enrolmentRepository.setState(w.tx, first.id, {
      status: offered ? "OFFERED" : "ENROLLED",
      position: null,
      offerExpiresAt: expiry,
      reasonCode: null,
      reason: null,
      credentialId: null,
    });
    // The seat is counted by takeSeat; the place in line goes.
    await trainingRepository.adjustSeats(w.tx, trainingId, { waitlisted: -1 });
    await sendEnrolment(w, promoted, training);
    await closeGap(w, training, first.position ?? 1);
  }
}

/**
 * The training is cancelled (by its team, or for want of its minimum): every live place is
 * CANCELLED with the same reason, each member's node told.
 */
export async function cancelPlaces(
  w: TrainingWrite,
  training: TrainingRecord,
  reasonCode: "CANCELLED_BY_ORGANISER" | "MINIMUM_NOT_REACHED",
): Promise<void> {
  const reason = TRAINING_TEXTS.reasons[reasonCode];
  const live = await enrolmentRepository.ofTraining(w.tx, training.id, [
    "PENDING",
    "ENROLLED",
    "WAITLISTED",
    "OFFERED",
  ]);
  for (const enrolment of live) {
    const ended = await enrolmentRepository.setState(w.tx, enrolment.id, {
      status: "CANCELLED",
      position: null,
      offerExpiresAt: null,
      reasonCode,
      reason,
      credentialId: null,
    });
    await moveSeats(w, training.id, enrolment.status, "CANCELLED");
    await sendEnrolment(w, ended, training);
  }
}
