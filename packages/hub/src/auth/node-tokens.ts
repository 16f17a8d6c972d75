import {
  ALLOWED_ALGORITHMS,
  MaillageError,
  NODE_TOKEN_MAX_TTL_SECONDS,
  NodeTokenClaims,
} from "@maillage/schema";
import { importJWK, type JWK, jwtVerify } from "jose";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { VerifiedClaims } from "./tokens.ts";
import { VerifiedTokens } from "./verified-tokens.ts";

type NodeKey = { key: CryptoKey; fabriqueId: string; active: boolean; loadedAt: number };

/** How long a node's public key is trusted from memory before it is read again. */
const KEY_CACHE_MS = 30_000;

/**
 * Verifies the short-lived tokens node agents sign with their own Ed25519 key (the public
 * half was stored at enrolment): `iss` = `sub` = the node id, role NODE, the hub's audience,
 * EdDSA only, at most NODE_TOKEN_MAX_TTL_SECONDS long. A revoked node is refused.
 */
export function createNodeTokenVerifier(prisma: PrismaClient, audience: string) {
  const cache = new Map<string, NodeKey>();
  // A token verified with a node's key entry holds while that entry is the one in force (it is
  // replaced every KEY_CACHE_MS, on re-enrolment and on revocation): one verification per
  // token, the node's status still read from the database every KEY_CACHE_MS.
  const verified = new VerifiedTokens<NodeKey>();

  async function load(nodeId: string): Promise<NodeKey | undefined> {
    const node = await prisma.node.findUnique({ where: { id: nodeId } });
    if (!node) return undefined;
    const entry = {
      key: (await importJWK(node.publicKey as JWK, "EdDSA")) as CryptoKey,
      fabriqueId: node.fabriqueId,
      active: node.status === "ACTIVE",
      loadedAt: Date.now(),
    };
    cache.set(nodeId, entry);
    return entry;
  }

  async function verifyWith(
    entry: NodeKey,
    nodeId: string,
    token: string,
  ): Promise<VerifiedClaims> {
    const { payload } = await jwtVerify(token, entry.key, {
      algorithms: [...ALLOWED_ALGORITHMS],
      issuer: nodeId,
      audience,
      requiredClaims: ["exp", "iat", "sub"],
      maxTokenAge: NODE_TOKEN_MAX_TTL_SECONDS,
    });
    const claims = NodeTokenClaims.parse(payload);
    const exp = payload.exp as number;
    const iat = payload.iat as number;
    if (claims.sub !== nodeId || claims.fabriqueId !== entry.fabriqueId) {
      throw new Error("claims do not match the node");
    }
    if (exp - iat > NODE_TOKEN_MAX_TTL_SECONDS) throw new Error("node token lives too long");
    if (!entry.active) throw new Error("node revoked");
    return { sub: nodeId, role: "NODE", fabriqueId: entry.fabriqueId, exp };
  }

  return {
    invalidate: (nodeId: string) => cache.delete(nodeId),
    async verify(nodeId: string, token: string): Promise<VerifiedClaims> {
      const fresh = (entry: NodeKey | undefined) =>
        entry !== undefined && Date.now() - entry.loadedAt <= KEY_CACHE_MS;
      const known = verified.get(
        token,
        (entry) => cache.get(nodeId) === entry && fresh(entry) && entry.active,
      );
      if (known?.sub === nodeId) return known;
      try {
        let entry = cache.get(nodeId);
        if (!entry || !fresh(entry)) entry = await load(nodeId);
        if (!entry) throw new Error("unknown node");
        try {
          const claims = await verifyWith(entry, nodeId, token);
          verified.set(token, claims, entry);
          return claims;
        } catch (error) {
          // The node may have re-enrolled with a new key since it was cached.
          const reloaded = await load(nodeId);
          if (!reloaded) throw error;
          const claims = await verifyWith(reloaded, nodeId, token);
          verified.set(token, claims, reloaded);
          return claims;
        }
      } catch (error) {
        throw new MaillageError("UNAUTHENTICATED", "invalid or expired node token", undefined, {
          cause: error,
        });
      }
    },
  };
}
