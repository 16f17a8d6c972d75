import type { EnrolmentPayload, EnrolmentRequestPayload, TrainingPayload } from "@maillage/schema";
import { isSharedScope } from "../resources/resource-sync.ts";
import {
  attendanceKey,
  type EntityHandler,
  inNodeNetwork,
  OK,
  ownedElsewhere,
  refuse,
  type Verdict,
} from "../sync/push-handlers.ts";
import * as rollup from "./training-rollup.repository.ts";
import * as repo from "./training-sync.repository.ts";

/**
 * The roads of trainings (issue 10), as for shared resources and booking requests:
 * - TRAINING, owned by the organiser's node, organised by a space of its network. Stored at
 *   the hub whatever its scope (statistics; discovery for its own network's team). Routed like
 *   a RESOURCE: to every node when NETWORK or NATIONAL after the change or before it (a
 *   training going back to LOCAL is announced once, as LOCAL, so that replicas drop it);
 *   otherwise it stays at the hub (target = its origin, which ignores its own echo). Never
 *   deleted: CANCELLED instead.
 * - ENROLMENT_REQUEST, owned by the member's home node (entityId = the enrolment id), routed
 *   to the training's organiser only. Refused here only what a faulty node could send: a
 *   member it does not own, an unknown training, one of its own trainings (local members enrol
 *   locally), changed terms. Everything that depends on state (seats, prerequisites, closed,
 *   a LOCAL training of another network) is the organiser's to decide: it answers DECLINED.
 * - ENROLMENT, owned by the organiser's node (entityId = the request's id for a remote member),
 *   for its own training: of a member its node owns, or of a member who asked (a request with
 *   that id, that training, that member). Kept at the hub (statistics) and routed to the
 *   member's home node only; when that is the organiser itself, it stays at the hub.
 *
 * Writing trainings and enrolments keeps the training rollup by deltas, in the same
 * transaction (training-rollup.repository.ts).
 */

/** Trainings whose rollup contribution the writes of `apply` may change, as written before. */
async function withRollup(
  session: Parameters<EntityHandler["apply"]>[0],
  trainingIds: string[],
  write: () => Promise<void>,
): Promise<void> {
  const ids = [...new Set(trainingIds)];
  const before = await rollup.contributionsOfTrainings(session, ids);
  await write();
  await rollup.addTrainingDeltas(
    session,
    before,
    await rollup.contributionsOfTrainings(session, ids),
  );
}

export const trainingHandler: EntityHandler = {
  want(event, wanted) {
    wanted.trainings.add(event.entityId);
    if (event.op === "UPSERT") wanted.spaces.add((event.payload as TrainingPayload).spaceId);
  },
  check(node, event, known): Verdict {
    if (event.op === "DELETE") {
      return refuse("INVALID_EVENT", "a training is never deleted: send it CANCELLED");
    }
    const owned = ownedElsewhere(known.trainings.get(event.entityId), node, event);
    if (owned) return owned;
    const { spaceId } = event.payload as TrainingPayload;
    return inNodeNetwork(node, spaceId, known)
      ? OK
      : refuse("OWNERSHIP_VIOLATION", `space ${spaceId} is not in this node's network`);
  },
  accept(node, event, known) {
    const training = event.payload as TrainingPayload;
    const before = known.trainings.get(event.entityId);
    const broadcast = isSharedScope(before?.scope) || isSharedScope(training.scope);
    known.trainings.set(event.entityId, {
      id: event.entityId,
      owner_node_id: node.id,
      space_id: training.spaceId,
      scope: training.scope,
    });
    return { targetNodeId: broadcast ? null : node.id, trainingId: event.entityId };
  },
  async apply(session, node, finals) {
    await withRollup(
      session,
      finals.map((e) => e.entityId),
      () =>
        repo.upsertTrainings(
          session,
          node.id,
          finals.map((e) => ({ id: e.entityId, training: e.payload as TrainingPayload })),
        ),
    );
  },
};

export const enrolmentRequestHandler: EntityHandler = {
  want(event, wanted) {
    wanted.enrolmentRequests.add(event.entityId);
    if (event.op === "DELETE") return;
    const request = event.payload as EnrolmentRequestPayload;
    wanted.trainings.add(request.trainingId);
    wanted.members.add(request.memberId);
  },
  check(node, event, known): Verdict {
    if (event.op === "DELETE") {
      return refuse("INVALID_EVENT", "a request is withdrawn with cancelled: true, not deleted");
    }
    const existing = known.enrolmentRequests.get(event.entityId);
    if (existing && existing.requester_node_id !== node.id) {
      return refuse(
        "OWNERSHIP_VIOLATION",
        `ENROLMENT_REQUEST ${event.entityId} is not owned by node ${node.id}`,
      );
    }
    const request = event.payload as EnrolmentRequestPayload;
    if (existing) {
      // Once sent, a request only gets withdrawn or takes an offered seat: whatever became of
      // the training or the member since, that must go through.
      if (existing.training_id !== request.trainingId) {
        return refuse("INVALID_EVENT", "trainingId: only cancelled and acceptOffer may change");
      }
      if (existing.member_id !== request.memberId) {
        return refuse("INVALID_EVENT", "memberId: only cancelled and acceptOffer may change");
      }
      if (existing.cancelled && !request.cancelled) {
        return refuse("INVALID_TRANSITION", "a withdrawn request stays withdrawn");
      }
      return OK;
    }
    // New and already withdrawn: changes nothing anywhere, accepted so that a withdrawal never
    // blocks the requester's outbox, but neither stored nor routed (see accept).
    if (request.cancelled) return OK;
    const training = known.trainings.get(request.trainingId);
    if (!training) return refuse("INVALID_EVENT", `unknown training ${request.trainingId}`);
    if (training.owner_node_id === node.id) {
      return refuse("INVALID_EVENT", "a node enrols members in its own trainings locally");
    }
    if (known.members.get(request.memberId)?.owner_node_id !== node.id) {
      return refuse(
        "OWNERSHIP_VIOLATION",
        `member ${request.memberId} is not a member of this node's network`,
      );
    }
    return OK;
  },
  accept(node, event, known) {
    const request = event.payload as EnrolmentRequestPayload;
    const existing = known.enrolmentRequests.get(event.entityId);
    if (!existing && request.cancelled) return { targetNodeId: node.id };
    const ownerNodeId =
      existing?.owner_node_id ?? known.trainings.get(request.trainingId)?.owner_node_id ?? "";
    known.enrolmentRequests.set(event.entityId, {
      id: event.entityId,
      requester_node_id: node.id,
      owner_node_id: ownerNodeId,
      training_id: request.trainingId,
      member_id: request.memberId,
      cancelled: request.cancelled,
    });
    // To the training's organiser (known: the request was checked, or already stored).
    return { targetNodeId: ownerNodeId || node.id };
  },
  async apply(session, node, finals, known) {
    const recorded = finals.filter((e) => known.enrolmentRequests.has(e.entityId));
    await repo.upsertEnrolmentRequests(
      session,
      recorded.map((e) => ({
        id: e.entityId,
        requesterNodeId: node.id,
        ownerNodeId: known.enrolmentRequests.get(e.entityId)?.owner_node_id ?? "",
        requestedAt: e.occurredAt,
        request: e.payload as EnrolmentRequestPayload,
      })),
    );
  },
};

export const enrolmentHandler: EntityHandler = {
  want(event, wanted) {
    wanted.enrolments.add(event.entityId);
    wanted.enrolmentRequests.add(event.entityId);
    if (event.op === "DELETE") return;
    const enrolment = event.payload as EnrolmentPayload;
    wanted.trainings.add(enrolment.trainingId);
    wanted.members.add(enrolment.memberId);
    if (enrolment.status === "ATTENDED") {
      wanted.attendedInBatch.add(attendanceKey(enrolment.trainingId, enrolment.memberId));
    }
  },
  check(node, event, known): Verdict {
    if (event.op === "DELETE") {
      return refuse("INVALID_EVENT", "an enrolment changes (CANCELLED), it is never deleted");
    }
    const existing = known.enrolments.get(event.entityId);
    const owned = ownedElsewhere(existing, node, event);
    if (owned) return owned;
    const enrolment = event.payload as EnrolmentPayload;
    if (existing && existing.training_id !== enrolment.trainingId) {
      return refuse("INVALID_EVENT", "trainingId: an enrolment stays in its training");
    }
    if (existing && existing.member_id !== enrolment.memberId) {
      return refuse("INVALID_EVENT", "memberId: an enrolment stays its member's");
    }
    if (known.trainings.get(enrolment.trainingId)?.owner_node_id !== node.id) {
      return refuse(
        "OWNERSHIP_VIOLATION",
        `training ${enrolment.trainingId} is not organised by node ${node.id}`,
      );
    }
    const member = known.members.get(enrolment.memberId);
    if (member?.owner_node_id === node.id) return OK;
    // Another node's member: only one who asked, with this very request.
    const request = known.enrolmentRequests.get(event.entityId);
    if (
      !request ||
      request.training_id !== enrolment.trainingId ||
      request.member_id !== enrolment.memberId
    ) {
      return refuse(
        "OWNERSHIP_VIOLATION",
        `member ${enrolment.memberId} is not this node's and made no request ${event.entityId}`,
      );
    }
    return OK;
  },
  accept(node, event, known) {
    const enrolment = event.payload as EnrolmentPayload;
    known.enrolments.set(event.entityId, {
      id: event.entityId,
      owner_node_id: node.id,
      training_id: enrolment.trainingId,
      member_id: enrolment.memberId,
      status: enrolment.status,
    });
    const key = attendanceKey(enrolment.trainingId, enrolment.memberId);
    if (enrolment.status === "ATTENDED") known.attendances.add(key);
    // The member's home node (its requester, should the member's row be gone).
    const home =
      known.members.get(enrolment.memberId)?.owner_node_id ??
      known.enrolmentRequests.get(event.entityId)?.requester_node_id ??
      node.id;
    return { targetNodeId: home, enrolmentId: event.entityId };
  },
  async apply(session, node, finals, known) {
    await withRollup(
      session,
      finals.map((e) => (e.payload as EnrolmentPayload).trainingId),
      () =>
        repo.upsertEnrolments(
          session,
          node.id,
          finals.map((e) => {
            const enrolment = e.payload as EnrolmentPayload;
            return {
              id: e.entityId,
              memberNodeId:
                known.members.get(enrolment.memberId)?.owner_node_id ??
                known.enrolmentRequests.get(e.entityId)?.requester_node_id ??
                null,
              enrolment,
            };
          }),
        ),
    );
  },
};
