import { NodeKeyPayload, type PulledEvent, StatusListPayload } from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";
import { credentialStatusRepository } from "./credential-status.repository.ts";

/**
 * Pulled events of portable credentials, applied in the pull transaction (sync/apply.ts):
 * - NODE_KEY (the hub's own record, origin null): a node's public key, kept in `node_key` and
 *   served offline as the network's JWKS; DELETE (the node was replaced or removed) drops the
 *   key and that node's status list: what it signed no longer verifies.
 * - STATUS_LIST (owned by the issuing node: entityId = its origin): the latest signed list of
 *   that node, kept (an older one never replaces a newer) and served offline.
 * Anything else (a NODE_KEY with an origin, a STATUS_LIST of another node than its origin, a
 * payload that breaks the contract) is skipped and reported, never blocking the pull.
 */
export const CREDENTIAL_ENTITIES = new Set(["NODE_KEY", "STATUS_LIST"]);

export type CredentialsAppliedAs = "node-key" | "status-list" | "deleted" | "skipped";

export async function applyCredentialsEvent(
  tx: SqlSession,
  event: PulledEvent,
  onSkipped: (error: unknown) => void = () => {},
): Promise<CredentialsAppliedAs> {
  if (event.entity === "NODE_KEY") {
    if (event.originNodeId !== null) {
      onSkipped(new Error(`NODE_KEY ${event.entityId} from node ${event.originNodeId}`));
      return "skipped";
    }
    if (event.op === "DELETE") {
      await credentialStatusRepository.deleteNodeKey(tx, event.entityId);
      await credentialStatusRepository.deleteReplicaList(tx, event.entityId);
      return "deleted";
    }
    const parsed = NodeKeyPayload.safeParse(event.payload);
    if (!parsed.success) {
      onSkipped(parsed.error);
      return "skipped";
    }
    await credentialStatusRepository.upsertNodeKey(tx, {
      nodeId: event.entityId,
      fabriqueId: parsed.data.fabriqueId,
      publicJwk: parsed.data.publicJwk,
    });
    return "node-key";
  }
  if (event.entity === "STATUS_LIST") {
    if (event.originNodeId !== event.entityId) {
      onSkipped(new Error(`STATUS_LIST ${event.entityId} from node ${event.originNodeId}`));
      return "skipped";
    }
    if (event.op === "DELETE") {
      await credentialStatusRepository.deleteReplicaList(tx, event.entityId);
      return "deleted";
    }
    const parsed = StatusListPayload.safeParse(event.payload);
    if (!parsed.success) {
      onSkipped(parsed.error);
      return "skipped";
    }
    await credentialStatusRepository.upsertReplicaList(
      tx,
      event.entityId,
      parsed.data.vc,
      parsed.data.updatedAt,
    );
    return "status-list";
  }
  return "skipped";
}
