import type { ChangeEvent, CredentialPayload } from "@maillage/schema";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { refuse, type Verdict } from "../sync/push-handlers.ts";
import type { NodeSyncRow } from "../sync/sync.repository.ts";

/**
 * A CREDENTIAL's `vc`, when it has one, must be the Open Badges credential of that very record,
 * signed by the pushing node: a VC-JWT (EdDSA, typ vc+jwt) whose `kid` is the node, whose `jti`
 * is the credential and whose `sub` is its member (packages/node-agent credentials/open-badge.ts
 * writes them so). The hub holds no key to check the signature with (verifiers do, with the
 * published JWKS); this keeps a node from passing another record's signed credential as its own.
 * Undefined when it is fine.
 */
export function checkSignedCredential(node: NodeSyncRow, event: ChangeEvent): Verdict | undefined {
  const { vc, memberId } = event.payload as CredentialPayload;
  if (vc === null) return undefined;
  try {
    const header = decodeProtectedHeader(vc);
    const claims = decodeJwt(vc);
    const types = Array.isArray(claims.type) ? claims.type : [];
    if (
      header.alg === "EdDSA" &&
      header.typ === "vc+jwt" &&
      header.kid === node.id &&
      claims.jti === `urn:maillage:credential:${event.entityId}` &&
      claims.sub === `urn:maillage:member:${memberId}` &&
      types.includes("OpenBadgeCredential")
    ) {
      return undefined;
    }
  } catch {
    // not a compact JWS: refused below
  }
  return refuse(
    "INVALID_EVENT",
    "vc: the OpenBadgeCredential VC-JWT of this credential and member, signed by the pushing node (EdDSA, typ vc+jwt, kid = the node id)",
  );
}
