import type { StatusListPayload } from "@maillage/schema";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { type EntityHandler, OK, refuse } from "../sync/push-handlers.ts";
import { deleteStatusList, upsertStatusList } from "./credentials.repository.ts";

/**
 * STATUS_LIST: owned by the issuing node (entityId = its node id: a node publishes its own
 * list only), sent to every node; the hub keeps the latest and serves it at
 * /credentials/status/<nodeId>. The hub does not hold the nodes' private keys and checks the
 * shape only: a compact JWS whose header names the pushing node (`kid`), typ vc+jwt, and whose
 * claims are a BitstringStatusListCredential; the signature is the verifier's to check with
 * the published key (the hub's copy is a cache, not an authority).
 */
export const statusListHandler: EntityHandler = {
  want() {},
  check(node, event) {
    if (event.entityId !== node.id) {
      return refuse(
        "OWNERSHIP_VIOLATION",
        `STATUS_LIST ${event.entityId} is node ${event.entityId}'s: node ${node.id} publishes its own only`,
      );
    }
    if (event.op === "DELETE") return OK;
    const { vc } = event.payload as StatusListPayload;
    try {
      const header = decodeProtectedHeader(vc);
      const claims = decodeJwt(vc);
      const types = Array.isArray(claims.type) ? claims.type : [];
      if (
        header.alg !== "EdDSA" ||
        header.kid !== node.id ||
        header.typ !== "vc+jwt" ||
        !types.includes("BitstringStatusListCredential")
      ) {
        return refuse(
          "INVALID_EVENT",
          "vc: a BitstringStatusListCredential VC-JWT (EdDSA, typ vc+jwt, kid = the node id)",
        );
      }
    } catch {
      return refuse("INVALID_EVENT", "vc: not a compact JWS");
    }
    return OK;
  },
  accept: () => ({ targetNodeId: null }),
  async apply(session, node, finals) {
    for (const event of finals) {
      if (event.op === "DELETE") await deleteStatusList(session, node.id);
      else {
        const { vc, updatedAt } = event.payload as StatusListPayload;
        await upsertStatusList(session, node.id, vc, updatedAt);
      }
    }
  },
};

/** NODE_KEY is the hub's own record (node-key-events.ts): no node pushes it. */
export const nodeKeyHandler: EntityHandler = {
  want() {},
  check: () => refuse("INVALID_EVENT", "NODE_KEY is the hub's own record: nodes never push it"),
  accept: () => ({ targetNodeId: null }),
  async apply() {},
};
