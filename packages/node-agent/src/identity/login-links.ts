import { randomUUID } from "node:crypto";
import {
  ALLOWED_ALGORITHMS,
  LOGIN_LINK_MAX_TTL_SECONDS,
  loginAudience,
  MaillageError,
  parseInput,
  SESSION_MAX_TTL_SECONDS,
  type SessionClaims,
  sessionAudience,
  TokenClaims,
  Ttl,
  ttlSeconds,
} from "@maillage/schema";
import { type JWTPayload, jwtVerify, SignJWT } from "jose";
import { loadNodeCredentials, type NodeIdentity } from "./identity.ts";
import type { NodeKey } from "./keys.ts";
import { AgentRole, AgentTokenRequest, agentAudience } from "./tokens.ts";

/**
 * Sign-in at a node agent (docs/sign-in.md). A login link is a JWT signed with the node key,
 * with an agent token's claims, a `jti`, the session's lifetime (`sttl`, seconds) and `aud` =
 * `maillage-agent:<nodeId>:login`: never accepted as a bearer token. Redeemed once (the
 * store's `login_link_use`), it becomes a session JWT (`aud` …`:session`, a `csrf` claim) held
 * in the `maillage_agent_<nodeId>` cookie.
 */

export type AgentLoginLinkRequest = {
  role: AgentRole;
  spaceId?: string | undefined;
  memberId?: string | undefined;
  /** How long the link may be opened (default 15m, at most 24h). */
  ttl?: string | undefined;
  /** How long the session it opens lasts (default 8h, at most 7d). */
  sessionTtl?: string | undefined;
};

function seconds(value: string, field: string, max: number): number {
  if (!Ttl.safeParse(value).success || ttlSeconds(value) > max) {
    throw new MaillageError(
      "BAD_USER_INPUT",
      `${field}: a duration such as 15m, 1h or 7d, at most ${max / 3600}h`,
      { field },
    );
  }
  return ttlSeconds(value);
}

export async function signAgentLoginLinkToken(
  identity: Pick<NodeIdentity, "nodeId" | "fabriqueId">,
  key: Pick<NodeKey, "privateKey">,
  raw: AgentLoginLinkRequest,
): Promise<string> {
  const linkSeconds = seconds(raw.ttl ?? "15m", "ttl", LOGIN_LINK_MAX_TTL_SECONDS);
  const sessionSeconds = seconds(raw.sessionTtl ?? "8h", "sessionTtl", SESSION_MAX_TTL_SECONDS);
  // The same role, space and member rules as an agent token.
  const request = parseInput(AgentTokenRequest, {
    role: raw.role,
    spaceId: raw.spaceId,
    memberId: raw.memberId,
  });
  const payload: Record<string, unknown> = {
    role: request.role,
    fabriqueId: identity.fabriqueId,
    sttl: sessionSeconds,
  };
  if (request.spaceId) payload.spaceId = request.spaceId;
  if (request.memberId) payload.memberId = request.memberId;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "EdDSA", kid: identity.nodeId, typ: "JWT" })
    .setIssuer(identity.nodeId)
    .setAudience(loginAudience(agentAudience(identity.nodeId)))
    .setSubject(subjectOf(request.role, identity.fabriqueId, request))
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + linkSeconds)
    .sign(key.privateKey);
}

function subjectOf(
  role: AgentRole,
  fabriqueId: string,
  ids: { spaceId?: string | undefined; memberId?: string | undefined },
): string {
  if (role === "FABRIQUE_ADMIN") return `fabrique_admin:${fabriqueId}`;
  if (role === "SATELLITE") return `satellite:${ids.spaceId}`;
  return `member:${ids.memberId}`;
}

async function verifyNodeJwt(
  identity: Pick<NodeIdentity, "nodeId" | "fabriqueId">,
  key: Pick<NodeKey, "publicKey">,
  token: string,
  audience: string,
): Promise<{ claims: TokenClaims & { role: AgentRole; fabriqueId: string }; payload: JWTPayload }> {
  const { payload } = await jwtVerify(token, key.publicKey, {
    algorithms: [...ALLOWED_ALGORITHMS],
    issuer: identity.nodeId,
    audience,
    requiredClaims: ["exp", "sub", "iat"],
  });
  const claims = TokenClaims.safeParse(payload);
  if (!claims.success) throw new Error(`bad claims: ${claims.error.issues[0]?.message}`);
  const role = AgentRole.safeParse(claims.data.role);
  if (!role.success) throw new Error(`role ${claims.data.role} is not an agent role`);
  if (claims.data.fabriqueId !== identity.fabriqueId) throw new Error("another fabrique");
  return {
    claims: { ...claims.data, role: role.data, fabriqueId: identity.fabriqueId },
    payload,
  };
}

/** A verified link (not yet consumed), or null (malformed, expired, another node's or purpose). */
export async function verifyAgentLoginLink(
  identity: Pick<NodeIdentity, "nodeId" | "fabriqueId">,
  key: Pick<NodeKey, "publicKey">,
  token: string,
): Promise<{
  claims: TokenClaims;
  jti: string;
  expiresAt: Date;
  sessionTtlSeconds: number;
} | null> {
  try {
    const { claims, payload } = await verifyNodeJwt(
      identity,
      key,
      token,
      loginAudience(agentAudience(identity.nodeId)),
    );
    const sttl = payload.sttl;
    if (typeof payload.jti !== "string" || typeof sttl !== "number") return null;
    if (!Number.isInteger(sttl) || sttl <= 0 || sttl > SESSION_MAX_TTL_SECONDS) return null;
    return {
      claims,
      jti: payload.jti,
      expiresAt: new Date((payload.exp as number) * 1000),
      sessionTtlSeconds: sttl,
    };
  } catch {
    return null;
  }
}

export async function signAgentSession(
  identity: Pick<NodeIdentity, "nodeId" | "fabriqueId">,
  key: Pick<NodeKey, "privateKey">,
  claims: TokenClaims,
  ttlSeconds: number,
  csrf: string,
): Promise<string> {
  const payload: Record<string, unknown> = {
    role: claims.role,
    fabriqueId: identity.fabriqueId,
    csrf,
  };
  if (claims.spaceId) payload.spaceId = claims.spaceId;
  if (claims.memberId) payload.memberId = claims.memberId;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "EdDSA", kid: identity.nodeId, typ: "JWT" })
    .setIssuer(identity.nodeId)
    .setAudience(sessionAudience(agentAudience(identity.nodeId)))
    .setSubject(claims.sub)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(key.privateKey);
}

/** The session of a cookie: UNAUTHENTICATED when it does not verify. */
export async function verifyAgentSession(
  identity: Pick<NodeIdentity, "nodeId" | "fabriqueId">,
  key: Pick<NodeKey, "publicKey">,
  token: string,
): Promise<SessionClaims & { role: AgentRole; fabriqueId: string }> {
  try {
    const { claims, payload } = await verifyNodeJwt(
      identity,
      key,
      token,
      sessionAudience(agentAudience(identity.nodeId)),
    );
    if (typeof payload.csrf !== "string" || payload.csrf.length < 16) throw new Error("no csrf");
    if (typeof payload.jti !== "string" || !payload.jti) throw new Error("no jti");
    return { ...claims, exp: payload.exp as number, csrf: payload.csrf, jti: payload.jti };
  } catch (error) {
    throw new MaillageError("UNAUTHENTICATED", "invalid or expired session", undefined, {
      cause: error,
    });
  }
}

/**
 * `maillage agent login-link`: `<baseUrl>/login?t=…`, from the identity and key files only
 * (never the database), so it works while the agent runs. NOT_ENROLLED before init.
 */
export async function issueAgentLoginLink(
  options: { dataDir: string; baseUrl: string } & AgentLoginLinkRequest,
): Promise<string> {
  const { dataDir, baseUrl, ...request } = options;
  const { identity, key } = await loadNodeCredentials(dataDir);
  const token = await signAgentLoginLinkToken(identity, key, request);
  return `${baseUrl.replace(/\/+$/, "")}/login?t=${token}`;
}
