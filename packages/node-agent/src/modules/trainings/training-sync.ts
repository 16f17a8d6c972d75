import {
  EnrolmentPayload,
  EnrolmentRequestPayload,
  type PulledEvent,
  TrainingPayload,
} from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";
import { memberRepository } from "../members/member.repository.ts";
import type { Publications } from "../resources/live.ts";
import { enrolmentRepository } from "./enrolment.repository.ts";
import { publishEnrolment, publishSeats } from "./organiser.ts";
import { TRAINING_TEXTS } from "./texts.ts";
import { trainingRepository } from "./training.repository.ts";

/**
 * Pulled events of trainings, applied in the pull transaction (sync/apply.ts calls this for
 * every event of another node addressed to this one, or to all):
 * - TRAINING: a replica of another node's NETWORK or NATIONAL training, upserted (a training
 *   organised here is never overwritten); one saying LOCAL (the hub's last broadcast when a
 *   training goes back to its network) deletes the replica.
 * - ENROLMENT_REQUEST (routed to this node, the training's organiser): a new request is stored
 *   PENDING for the decider (one for a member who already holds a place is stored DECLINED,
 *   ALREADY_ENROLLED, to be answered); a withdrawal or an acceptance of an offer is queued on
 *   the enrolment, with the instant the member acted at home. A request for a training this
 *   node does not organise, or for a member homed here, is ignored: it cannot decide it.
 * - ENROLMENT (routed to this node, the member's home): the organiser's answer, copied onto
 *   this node's request (only the training's organiser answers); a place withdrawn here stays
 *   CANCELLED until the organiser's CANCELLED answer.
 * - Handovers (no origin, addressed to this node: it was enrolled for a fabrique whose trainings
 *   the hub holds, a replaced node's or history seeded there): a TRAINING is adopted as owned,
 *   then its ENROLMENTs as places organised here; the training's seat counts and waitlist
 *   sequence are recounted from the places adopted (after each), so that the store's capacity
 *   check and the waitlist go on from there. The requests the hub routes again after them
 *   (origin = the requester) bring the members' identity hashes, and the ones still to decide.
 *   A TRAINING from a new origin moves a replica to that node (its owner re-enrolled): only
 *   that node's answers are copied from then on.
 * A payload that breaks the contract or a row the store refuses is skipped (savepoint) and
 * reported, never breaking the pull.
 */
export type TrainingAppliedAs =
  | "replica"
  | "kept-owned"
  | "deleted"
  | "not-needed"
  | "request"
  | "answer"
  | "handover"
  | "skipped";

export const TRAINING_ENTITIES = new Set(["TRAINING", "ENROLMENT_REQUEST", "ENROLMENT"]);

async function applyOne(
  tx: SqlSession,
  event: PulledEvent,
  pubs: Publications,
): Promise<TrainingAppliedAs> {
  const origin = event.originNodeId;
  // The hub's own record addressed to this node only: a handover (see the file's comment).
  const handover = origin === null && event.targetNodeId !== null;
  if (event.op === "DELETE") return "skipped"; // never sent: a training is CANCELLED instead
  switch (event.entity) {
    case "TRAINING": {
      const state = TrainingPayload.parse(event.payload);
      if (handover) {
        if (!(await trainingRepository.adoptHandover(tx, event.entityId, state))) {
          return "kept-owned";
        }
        const adopted = await trainingRepository.find(tx, event.entityId);
        if (adopted) publishSeats(pubs, adopted);
        return "handover";
      }
      if (state.scope === "LOCAL") {
        if (await trainingRepository.deleteReplica(tx, event.entityId)) return "deleted";
        return (await trainingRepository.find(tx, event.entityId)) ? "kept-owned" : "not-needed";
      }
      if (!(await trainingRepository.upsertReplica(tx, event.entityId, origin, state))) {
        return "kept-owned";
      }
      const replica = await trainingRepository.find(tx, event.entityId);
      if (replica) publishSeats(pubs, replica);
      return "replica";
    }
    case "ENROLMENT_REQUEST": {
      const state = EnrolmentRequestPayload.parse(event.payload);
      const training = await trainingRepository.find(tx, state.trainingId);
      if (!training?.owned) return "not-needed";
      const member = await memberRepository.find(tx, state.memberId);
      if (member?.owned) return "skipped"; // this node's members enrol here directly
      const at = new Date(event.occurredAt);
      const existing = await enrolmentRepository.findForUpdate(tx, event.entityId);
      if (!existing) {
        const holder = state.cancelled
          ? undefined
          : await enrolmentRepository.live(tx, training.id, state.memberId);
        const stored = await enrolmentRepository.insert(tx, {
          id: event.entityId,
          trainingId: training.id,
          memberId: state.memberId,
          organisedHere: true,
          requesterNodeId: origin ?? "hub",
          identityHash: state.identityHash,
          status: state.cancelled ? "CANCELLED" : holder ? "DECLINED" : "PENDING",
          position: null,
          offerExpiresAt: null,
          reasonCode: state.cancelled ? "CANCELLED_BY_MEMBER" : holder ? "ALREADY_ENROLLED" : null,
          reason: state.cancelled
            ? TRAINING_TEXTS.reasons.CANCELLED_BY_MEMBER
            : holder
              ? "the member already holds a place in this training"
              : null,
          credentialId: null,
          pendingAction: state.cancelled || holder ? "ANSWER" : "DECIDE",
          actionAt: at,
          createdAt: at,
        });
        await publishEnrolment(tx, pubs, stored, training.spaceId);
        return "request";
      }
      if (!existing.organisedHere || existing.memberId !== state.memberId) return "skipped";
      if (state.identityHash !== null && state.identityHash !== existing.identityHash) {
        await enrolmentRepository.setIdentityHash(tx, existing.id, state.identityHash);
      }
      let queued = existing;
      if (state.cancelled) {
        if (existing.status === "CANCELLED" || existing.status === "DECLINED") return "request";
        queued = await enrolmentRepository.markAction(tx, existing.id, "WITHDRAW", at);
      } else if (state.acceptOffer && existing.pendingAction !== "WITHDRAW") {
        queued = await enrolmentRepository.markAction(tx, existing.id, "ACCEPT_OFFER", at);
      } else {
        return "request";
      }
      await publishEnrolment(tx, pubs, queued, training.spaceId);
      return "request";
    }
    case "ENROLMENT": {
      const state = EnrolmentPayload.parse(event.payload);
      if (handover) {
        const training = await trainingRepository.find(tx, state.trainingId);
        if (!training?.owned) {
          throw new Error(
            `handover enrolment ${event.entityId}: training ${state.trainingId} is not this node's`,
          );
        }
        const member = await memberRepository.find(tx, state.memberId);
        if (
          !(await enrolmentRepository.adoptHandover(tx, event.entityId, state, !!member?.owned))
        ) {
          return "kept-owned";
        }
        await trainingRepository.recountOwned(tx, training.id);
        return "handover";
      }
      const request = await enrolmentRepository.findForUpdate(tx, event.entityId);
      if (!request || request.organisedHere || request.memberId !== state.memberId) {
        return "not-needed";
      }
      const training = await trainingRepository.find(tx, request.trainingId);
      if (origin !== null && training?.ownerNodeId && training.ownerNodeId !== origin) {
        return "skipped"; // only the training's organiser answers
      }
      if (request.status === "CANCELLED" && state.status !== "CANCELLED") {
        return "answer"; // withdrawn here; the organiser's CANCELLED answer is on its way
      }
      const answered = await enrolmentRepository.setState(tx, request.id, {
        status: state.status,
        position: state.position,
        offerExpiresAt: state.offerExpiresAt === null ? null : new Date(state.offerExpiresAt),
        reasonCode: state.reasonCode,
        reason: state.reason,
        credentialId: state.credentialId,
      });
      await publishEnrolment(tx, pubs, answered, training?.spaceId ?? null);
      return "answer";
    }
    default:
      return "skipped";
  }
}

/**
 * Applies one pulled event of a training entity. Whatever happens, the pull goes on: a payload
 * that breaks the contract or a row the store refuses is skipped (its statements rolled back
 * to a savepoint) and reported through `onSkipped`.
 */
export async function applyTrainingEvent(
  tx: SqlSession,
  event: PulledEvent,
  pubs: Publications,
  onSkipped: (error: unknown) => void = () => {},
): Promise<TrainingAppliedAs> {
  await tx.query("SAVEPOINT training_event");
  const before = pubs.items.length;
  try {
    const applied = await applyOne(tx, event, pubs);
    await tx.query("RELEASE SAVEPOINT training_event");
    return applied;
  } catch (error) {
    await tx.query("ROLLBACK TO SAVEPOINT training_event");
    pubs.items.length = before;
    onSkipped(error);
    return "skipped";
  }
}
