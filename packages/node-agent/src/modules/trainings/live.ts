import type { Viewer } from "../../context.ts";
import type { Publication } from "../resources/live.ts";
import type { EnrolmentRecord } from "./enrolment.repository.ts";
import type { TrainingRecord } from "./training.repository.ts";

/**
 * Live updates of trainings at the agent, on the agent's one pub/sub (resources/live.ts carries
 * these topics beside its own): published after the transaction that changed them committed,
 * by the services and by the sync engine after a pull (replicas, incoming requests, answers).
 */
export type EnrolmentUpdate = {
  enrolment: EnrolmentRecord;
  /** The organiser space of its training, when the training is known here. */
  trainingSpaceId: string | null;
  /** The member's home space, when the member is known here. */
  memberHomeSpaceId: string | null;
};

export type TrainingTopics = {
  enrolmentUpdated: [EnrolmentUpdate];
  trainingSeatsChanged: [TrainingRecord];
};

export type TrainingPublication =
  | { topic: "enrolmentUpdated"; update: EnrolmentUpdate }
  | { topic: "trainingSeatsChanged"; training: TrainingRecord };

/**
 * Who sees an enrolment: the fabrique's team every one known here (its trainings' and its
 * members'); a satellite those of the trainings it organises and of its own members; a member
 * its own.
 */
export function canSeeEnrolment(
  viewer: Viewer,
  e: Pick<EnrolmentUpdate, "trainingSpaceId" | "memberHomeSpaceId"> & {
    enrolment: Pick<EnrolmentRecord, "memberId">;
  },
): boolean {
  if (viewer.role === "FABRIQUE_ADMIN") return true;
  if (viewer.role === "SATELLITE") {
    return e.trainingSpaceId === viewer.spaceId || e.memberHomeSpaceId === viewer.spaceId;
  }
  return viewer.role === "MEMBER" && e.enrolment.memberId === viewer.memberId;
}

/** Whether a pull brought the decider work: an incoming request to answer. */
export function bringsEnrolmentWork(items: readonly Publication[]): boolean {
  return items.some(
    (item) =>
      item.topic === "enrolmentUpdated" &&
      item.update.enrolment.organisedHere &&
      item.update.enrolment.pendingAction !== null,
  );
}
