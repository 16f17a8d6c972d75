import type { CredentialPayload } from "@maillage/schema";
import { type EntityHandler, OK, ownedElsewhere, refuse } from "../sync/push-handlers.ts";
import * as repo from "./resource-sync.repository.ts";

/**
 * CREDENTIAL: owned by the member's home node, sent to every node so that any resource's
 * owner can check it before a booking. DELETE revokes it.
 */
export const credentialHandler: EntityHandler = {
  want(event, wanted) {
    wanted.credentials.add(event.entityId);
    if (event.op === "UPSERT") wanted.members.add((event.payload as CredentialPayload).memberId);
  },
  check(node, event, known) {
    const owned = ownedElsewhere(known.credentials.get(event.entityId), node, event);
    if (owned) return owned;
    if (event.op === "DELETE") return OK;
    const { memberId } = event.payload as CredentialPayload;
    return known.members.get(memberId)?.owner_node_id === node.id
      ? OK
      : refuse("OWNERSHIP_VIOLATION", `member ${memberId} does not belong to node ${node.id}`);
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
