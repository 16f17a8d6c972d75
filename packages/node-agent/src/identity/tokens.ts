import { randomUUID } from "node:crypto";
import {
  ALLOWED_ALGORITHMS,
  MaillageError,
  NODE_TOKEN_MAX_TTL_SECONDS,
  parseInput,
  TokenClaims,
  Ttl,
} from "@maillage/schema";
import { jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { loadNodeCredentials, type NodeIdentity } from "./identity.ts";
import type { NodeKey } from "./keys.ts";

/** The hub's default audience (its HUB_AUDIENCE). */
export const HUB_AUDIENCE = "maillage";
/** Node tokens live this long; the hub refuses more than NODE_TOKEN_MAX_TTL_SECONDS. */
export const NODE_TOKEN_TTL_SECONDS = 300;

/**
 * The short-lived token the agent presents to the hub for sync: EdDSA, `kid` = `iss` = `sub` =
 * the node id, role NODE, its fabrique, `exp` = now + 300 s. The sync engine uses one until it
 * has two minutes left (the hub verifies a token once, then knows it).
 */
export async function signNodeToken(
  identity: Pick<NodeIdentity, "nodeId" | "fabriqueId">,
  key: Pick<NodeKey, "privateKey">,
  options: { audience?: string; ttlSeconds?: number } = {},
): Promise<string> {
  const ttl = Math.min(options.ttlSeconds ?? NODE_TOKEN_TTL_SECONDS, NODE_TOKEN_MAX_TTL_SECONDS);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: "NODE", fabriqueId: identity.fabriqueId })
    .setProtectedHeader({ alg: "EdDSA", kid: identity.nodeId, typ: "JWT" })
    .setIssuer(identity.nodeId)
    .setSubject(identity.nodeId)
    .setAudience(options.audience ?? HUB_AUDIENCE)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + ttl)
    .sign(key.privateKey);
}

/** Roles of the agent's own API. */
export const AgentRole = z.enum(["FABRIQUE_ADMIN", "SATELLITE", "MEMBER"]);
export type AgentRole = z.infer<typeof AgentRole>;

/**
 * The audience of the agent's local tokens. Distinct from the hub's, so that a token for a
 * fabrique's local API can never be replayed at the hub, nor at another node's agent.
 */
export function agentAudience(nodeId: string): string {
  return `maillage-agent:${nodeId}`;
}

export const AgentTokenRequest = z
  .object({
    role: AgentRole,
    spaceId: z.string().trim().min(1).optional(),
    memberId: z.string().trim().min(1).optional(),
    ttl: Ttl.default("1h"),
  })
  .superRefine((request, ctx) => {
    const needs = { FABRIQUE_ADMIN: undefined, SATELLITE: "spaceId", MEMBER: "memberId" } as const;
    for (const field of ["spaceId", "memberId"] as const) {
      const given = request[field] !== undefined;
      const needed = needs[request.role] === field;
      if (given !== needed) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: needed ? `${request.role} needs ${field}` : `${request.role} takes no ${field}`,
        });
      }
    }
  });
export type AgentTokenRequest = z.input<typeof AgentTokenRequest>;

/** Signs a token for the agent's local API (FABRIQUE_ADMIN, SATELLITE or MEMBER). */
export async function signAgentToken(
  identity: Pick<NodeIdentity, "nodeId" | "fabriqueId">,
  key: Pick<NodeKey, "privateKey">,
  raw: AgentTokenRequest,
): Promise<string> {
  const request = parseInput(AgentTokenRequest, raw);
  const subject =
    request.role === "FABRIQUE_ADMIN"
      ? `fabrique_admin:${identity.fabriqueId}`
      : request.role === "SATELLITE"
        ? `satellite:${request.spaceId}`
        : `member:${request.memberId}`;
  const payload: Record<string, unknown> = { role: request.role, fabriqueId: identity.fabriqueId };
  if (request.spaceId) payload.spaceId = request.spaceId;
  if (request.memberId) payload.memberId = request.memberId;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "EdDSA", kid: identity.nodeId, typ: "JWT" })
    .setIssuer(identity.nodeId)
    .setAudience(agentAudience(identity.nodeId))
    .setSubject(subject)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(request.ttl)
    .sign(key.privateKey);
}

/**
 * `maillage agent token`: reads the identity and key files only (never the database), so it
 * works while the agent runs. NOT_ENROLLED before init; BAD_USER_INPUT on a bad combination.
 */
export async function issueAgentToken(
  options: { dataDir: string } & AgentTokenRequest,
): Promise<string> {
  const { dataDir, ...request } = options;
  const { identity, key } = await loadNodeCredentials(dataDir);
  return signAgentToken(identity, key, request);
}

/** The verified claims of an agent token, with its expiry (seconds since the epoch). */
export type AgentViewer = TokenClaims & { role: AgentRole; fabriqueId: string; exp: number };

/**
 * Verifies a bearer token of the agent's API: EdDSA only, signed by this node's key, `iss` =
 * this node, `aud` = this agent, `exp`/`sub`/`iat` required, one of the agent's roles, this
 * fabrique. Any failure is UNAUTHENTICATED; the reason goes to the log only (as `cause`).
 */
export async function verifyAgentToken(
  identity: Pick<NodeIdentity, "nodeId" | "fabriqueId">,
  key: Pick<NodeKey, "publicKey">,
  token: string,
): Promise<AgentViewer> {
  try {
    const { payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [...ALLOWED_ALGORITHMS],
      issuer: identity.nodeId,
      audience: agentAudience(identity.nodeId),
      requiredClaims: ["exp", "sub", "iat"],
    });
    const claims = TokenClaims.safeParse(payload);
    if (!claims.success) throw new Error(`bad claims: ${claims.error.issues[0]?.message}`);
    const role = AgentRole.safeParse(claims.data.role);
    if (!role.success) throw new Error(`role ${claims.data.role} is not an agent role`);
    if (claims.data.fabriqueId !== identity.fabriqueId) throw new Error("another fabrique");
    return {
      ...claims.data,
      role: role.data,
      fabriqueId: identity.fabriqueId,
      exp: payload.exp as number,
    };
  } catch (error) {
    throw new MaillageError("UNAUTHENTICATED", "invalid or expired token", undefined, {
      cause: error,
    });
  }
}
