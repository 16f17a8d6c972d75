import type { ChangeEvent, CredentialPayload } from "@maillage/schema";
import { checkSignedCredential } from "../credentials/signed-credential.ts";
import {
  attendanceKey,
  type EntityHandler,
  type Known,
  OK,
  ownedElsewhere,
  refuse,
  type Verdict,
} from "../sync/push-handlers.ts";
import type { NodeSyncRow } from "../sync/sync.repository.ts";
import * as repo from "./resource-sync.repository.ts";

/**
 * CREDENTIAL: owned by the node that issued it, sent to every node so that any resource's
 * owner can check it before a booking. DELETE revokes it (its issuer only).
 *
 * The issuer is the member's home node, or — for a credential a training's attendance issued
 * (`trainingId` set) — the training's organiser, for a member of any network: then the
 * organiser owns the training and the member ATTENDED it, as the hub holds the member's
 * enrolment (or as an ENROLMENT of the same push says: the credential and the attendance that
 * issued it may come in either order).
 */
export const credentialHandler: EntityHandler = {
  want(event, wanted) {
    wanted.credentials.add(event.entityId);
    if (event.op === "DELETE") return;
    const { memberId, trainingId } = event.payload as CredentialPayload;
    wanted.members.add(memberId);
    if (trainingId !== null) {
      wanted.trainings.add(trainingId);
      wanted.attendances.add(attendanceKey(trainingId, memberId));
    }
  },
  check(node, event, known) {
    const verdict = ownership(node, event, known);
    if (!verdict.ok || event.op === "DELETE") return verdict;
    // Its signed Open Badges credential, if any, must be this record's, signed by the pusher.
    return checkSignedCredential(node, event) ?? OK;
  },
  accept(node, event, known) {
    if (event.op === "DELETE") known.credentials.delete(event.entityId);
    else {
      known.credentials.set(event.entityId, {
        id: event.entityId,
        owner_node_id: node.id,
        fabrique_id: null,
      });
    }
    return { targetNodeId: null };
  },
  async apply(session, node, finals) {
    await repo.upsertCredentials(
      session,
      node.id,
      finals
        .filter((e) => e.op === "UPSERT")
        .map((e) => ({ id: e.entityId, credential: e.payload as CredentialPayload })),
    );
    await repo.deleteCredentials(
      session,
      node.id,
      finals.filter((e) => e.op === "DELETE").map((e) => e.entityId),
    );
  },
};

/** Who may write this credential (see above). */
function ownership(node: NodeSyncRow, event: ChangeEvent, known: Known): Verdict {
  const owned = ownedElsewhere(known.credentials.get(event.entityId), node, event);
  if (owned) return owned;
  if (event.op === "DELETE") return OK;
  const { memberId, trainingId } = event.payload as CredentialPayload;
  if (known.members.get(memberId)?.owner_node_id === node.id) return OK;
  if (trainingId === null) {
    return refuse("OWNERSHIP_VIOLATION", `member ${memberId} does not belong to node ${node.id}`);
  }
  if (known.trainings.get(trainingId)?.owner_node_id !== node.id) {
    return refuse(
      "OWNERSHIP_VIOLATION",
      `training ${trainingId} is not organised by node ${node.id}`,
    );
  }
  return known.attendances.has(attendanceKey(trainingId, memberId))
    ? OK
    : refuse(
        "OWNERSHIP_VIOLATION",
        `member ${memberId} did not attend training ${trainingId}, as the hub holds it`,
      );
}
