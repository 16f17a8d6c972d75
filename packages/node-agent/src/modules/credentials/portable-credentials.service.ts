import { MaillageError } from "@maillage/schema";
import type { SqlStore } from "@maillage/storage";
import { decodeJwt, decodeProtectedHeader } from "jose";
import type { Viewer } from "../../context.ts";
import { credentialRepository } from "../resources/credential.repository.ts";
import { credentialStatusRepository } from "./credential-status.repository.ts";
import { identityRepository } from "./identity.repository.ts";
import { identityHash, normaliseName } from "./issuer.ts";
import { credentialUrnOf, memberUrnOf } from "./open-badge.ts";

/**
 * Portable credentials at an agent, offline too:
 * - the network's node keys as a JWKS (`kid` = node id), replicated from the hub's NODE_KEY
 *   events: what verifies any node's credentials and status lists;
 * - every node's latest status list (this node's own, the others' replicated);
 * - a member's Open Badges 3.0 export, at the member's home node only: the signed VC-JWT as the
 *   issuer made it (any node: replicas carry it), its decoded credential, and, added here, the
 *   member's name with the salt that proves the credential's identityHash. The name is put in
 *   the answer to the member or its home team, never in anything that travels.
 */
export type PortableCredentialService = ReturnType<typeof createPortableCredentialService>;

/** A JSON Web Key Set (RFC 7517 §5) of Ed25519 keys (RFC 8037), one per node. */
export type NodeJwks = {
  keys: { kty: "OKP"; crv: "Ed25519"; x: string; kid: string; alg: "EdDSA"; use: "sig" }[];
};

export type OpenBadgeExport = {
  credentialId: string;
  /** The compact JWS exactly as the issuing node signed it. */
  vcJwt: string;
  /** Its claims set: the OpenBadgeCredential (JSON text). */
  credential: string;
  /** The node that signed it (the JWS `kid`). */
  issuerNodeId: string;
  /** Added at home: the name the identityHash hides, and its salt; null without a name. */
  identity: {
    identityType: "name";
    name: string;
    salt: string;
    identityHash: string;
    /** Whether sha256(name + salt) is the signed identityHash (false: the name changed since). */
    matches: boolean;
  } | null;
};

/** JWT registered claims (RFC 7519 §4.1) that mirror the credential's own properties. */
const REGISTERED = new Set(["iss", "sub", "aud", "exp", "nbf", "iat", "jti"]);

type SignedIdentity = {
  type?: string;
  identityType?: string;
  hashed?: boolean;
  identityHash?: string;
};

export function createPortableCredentialService(deps: { store: SqlStore }) {
  const { store } = deps;

  return {
    async jwks(): Promise<NodeJwks> {
      const keys = await credentialStatusRepository.nodeKeys(store);
      return {
        keys: keys.map((k) => ({
          kty: "OKP",
          crv: "Ed25519",
          x: k.publicJwk.x,
          kid: k.nodeId,
          alg: "EdDSA",
          use: "sig",
        })),
      };
    },

    /** A node's latest signed status list known here (VC-JWT), or undefined. */
    async statusList(nodeId: string): Promise<string | undefined> {
      return (await credentialStatusRepository.findList(store, nodeId))?.vc;
    },

    /**
     * The member's credential as an Open Badges 3.0 export: the member itself (MEMBER token)
     * or its home team (FABRIQUE_ADMIN), at the member's home node. NOT_FOUND for a credential
     * unknown here (or revoked: its row is gone) or not signed (issued before signing);
     * FORBIDDEN for another member's, or a member homed at another node.
     */
    async exportOpenBadge(viewer: Viewer, credentialId: string): Promise<OpenBadgeExport> {
      const isTeam = viewer.role === "FABRIQUE_ADMIN";
      if (!isTeam && viewer.role !== "MEMBER") {
        throw new MaillageError("FORBIDDEN", "a member, or its home team, exports its credentials");
      }
      const credential = await credentialRepository.find(store, credentialId);
      // A member's token learns nothing of others' credentials, not even that they exist.
      if (!credential || (viewer.role === "MEMBER" && viewer.memberId !== credential.memberId)) {
        throw new MaillageError("NOT_FOUND", `no credential ${credentialId}`, { id: credentialId });
      }
      const member = await identityRepository.findHomeMember(store, credential.memberId);
      if (!member) {
        throw new MaillageError(
          "FORBIDDEN",
          "this credential's member is homed at another node: it is exported there",
          { id: credentialId },
        );
      }
      if (credential.vc === null) {
        throw new MaillageError(
          "NOT_FOUND",
          `credential ${credentialId} was issued before credentials were signed`,
          { id: credentialId, field: "vc" },
        );
      }
      const claims = decodeJwt(credential.vc);
      const { kid } = decodeProtectedHeader(credential.vc);
      // Only the credential of this very record and member (the hub checks it too).
      if (
        claims.jti !== credentialUrnOf(credentialId) ||
        claims.sub !== memberUrnOf(credential.memberId)
      ) {
        throw new MaillageError(
          "NOT_FOUND",
          `credential ${credentialId}: its signed credential names another record`,
          { id: credentialId, field: "vc" },
        );
      }
      const document = Object.fromEntries(
        Object.entries(claims).filter(([name]) => !REGISTERED.has(name)),
      );
      const signed = (
        (document.credentialSubject as { identifier?: SignedIdentity[] } | undefined)?.identifier ??
        []
      ).find((i) => i.type === "IdentityObject" && i.identityType === "name" && i.hashed);
      let identity: OpenBadgeExport["identity"] = null;
      if (signed?.identityHash && member.displayName !== null && member.salt !== null) {
        const name = normaliseName(member.displayName);
        identity = {
          identityType: "name",
          name,
          salt: member.salt,
          identityHash: signed.identityHash,
          matches: identityHash(name, member.salt) === signed.identityHash,
        };
      }
      return {
        credentialId,
        vcJwt: credential.vc,
        credential: JSON.stringify(document),
        issuerNodeId: String(kid ?? ""),
        identity,
      };
    },
  };
}
