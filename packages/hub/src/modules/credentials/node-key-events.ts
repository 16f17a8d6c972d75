import { type NodeKeyPayload, SCHEMA_VERSION } from "@maillage/schema";
import { ulid } from "ulid";
import type { LogEntry } from "../sync/change-log.repository.ts";

/**
 * NODE_KEY: the hub's own record of a node's public key (origin NULL, entityId = the node id),
 * sent to every node, so that anyone verifies offline what a node signed. Written when a node
 * enrols (enrolment.service.ts), with a DELETE for the node it replaces; for the nodes enrolled
 * before, once by migration 0009. Nodes never push it (status-list-sync.ts refuses it).
 */
export function nodeKeyEntry(node: {
  id: string;
  fabriqueId: string;
  publicKey: { x: string };
}): LogEntry {
  const payload: NodeKeyPayload = {
    fabriqueId: node.fabriqueId,
    publicJwk: { kty: "OKP", crv: "Ed25519", x: node.publicKey.x },
  };
  return entry(node.id, "UPSERT", payload);
}

/** The node was replaced (re-enrolment) or removed: what it signed no longer verifies. */
export function nodeKeyDeletion(nodeId: string): LogEntry {
  return entry(nodeId, "DELETE", null);
}

function entry(nodeId: string, op: "UPSERT" | "DELETE", payload: NodeKeyPayload | null): LogEntry {
  return {
    eventId: ulid(),
    originNodeId: null,
    seq: null,
    entity: "NODE_KEY",
    entityId: nodeId,
    op,
    payload,
    occurredAt: new Date().toISOString(),
    schemaVersion: SCHEMA_VERSION,
    targetNodeId: null,
  };
}
