import { randomUUID } from "node:crypto";
import {
  ALLOWED_ALGORITHMS,
  HubTokenRole,
  LOGIN_LINK_MAX_TTL_SECONDS,
  loginAudience,
  MaillageError,
  SESSION_MAX_TTL_SECONDS,
  type SessionClaims,
  sessionAudience,
  TokenClaims,
  Ttl,
  ttlSeconds,
} from "@maillage/schema";
import {
  type JWTHeaderParameters,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
} from "jose";
import type { HubConfig } from "../env.ts";
import type { KeyRing } from "./keys.ts";
import { verifyOnce } from "./tokens.ts";
import type { VerifiedTokens } from "./verified-tokens.ts";

/**
 * Sign-in at the hub (docs/sign-in.md). A login link is a JWT signed like the API tokens, with
 * the same claims, a `jti`, the session's lifetime (`sttl`, seconds) and `aud` = `<audience>:login`:
 * never accepted as a bearer token. Redeemed once (`login_link_use`), it becomes a session JWT
 * (`aud` = `<audience>:session`, a `csrf` claim) held in the `maillage_hub` cookie.
 */

type TokenSettings = Pick<HubConfig, "issuer" | "audience">;

export type LoginLinkRequest = {
  role: HubTokenRole;
  fabriqueId?: string | undefined;
  /** How long the link may be opened (default 15m, at most 24h). */
  ttl?: string | undefined;
  /** How long the session it opens lasts (default 8h, at most 7d). */
  sessionTtl?: string | undefined;
};

/** Checks a link's and a session's lifetimes: BAD_USER_INPUT when out of range. */
export function loginLinkTtls(request: {
  ttl?: string | undefined;
  sessionTtl?: string | undefined;
}): {
  linkSeconds: number;
  sessionSeconds: number;
} {
  const check = (value: string, field: string, max: number) => {
    const parsed = Ttl.safeParse(value);
    if (!parsed.success || ttlSeconds(value) > max) {
      throw new MaillageError(
        "BAD_USER_INPUT",
        `${field}: a duration such as 15m, 1h or 7d, at most ${max / 3600}h`,
        { field },
      );
    }
    return ttlSeconds(value);
  };
  return {
    linkSeconds: check(request.ttl ?? "15m", "ttl", LOGIN_LINK_MAX_TTL_SECONDS),
    sessionSeconds: check(request.sessionTtl ?? "8h", "sessionTtl", SESSION_MAX_TTL_SECONDS),
  };
}

function subjectOf(claims: { role: string; fabriqueId?: string | undefined }): string {
  return `${claims.role.toLowerCase()}:${claims.fabriqueId ?? "network"}`;
}

export async function signHubLoginLinkToken(
  keys: KeyRing,
  settings: TokenSettings,
  request: LoginLinkRequest,
): Promise<string> {
  const role = HubTokenRole.parse(request.role);
  if (role === "FABRIQUE_ADMIN" && !request.fabriqueId) {
    throw new MaillageError("BAD_USER_INPUT", "FABRIQUE_ADMIN needs a fabrique", {
      field: "fabriqueId",
    });
  }
  const { linkSeconds, sessionSeconds } = loginLinkTtls(request);
  const payload: Record<string, unknown> = { role, sttl: sessionSeconds };
  if (role !== "NATIONAL" && request.fabriqueId) payload.fabriqueId = request.fabriqueId;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "EdDSA", kid: keys.signer.kid, typ: "JWT" })
    .setIssuer(settings.issuer)
    .setAudience(loginAudience(settings.audience))
    .setSubject(subjectOf({ role, fabriqueId: payload.fabriqueId as string | undefined }))
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + linkSeconds)
    .sign(keys.signer.privateKey);
}

async function verifyWithKeys(
  keys: KeyRing,
  settings: TokenSettings,
  token: string,
  audience: string,
): Promise<{ claims: TokenClaims; payload: JWTPayload }> {
  // An unknown kid may be a key just rotated in: the key file is looked at now.
  const resolveKey = async (header: JWTHeaderParameters) => {
    if (!keys.find(header.kid)) await keys.refresh().catch(() => undefined);
    const key = keys.find(header.kid);
    if (!key) throw new joseErrors.JWKSNoMatchingKey();
    return key.publicKey;
  };
  const { payload } = await jwtVerify(token, resolveKey, {
    algorithms: [...ALLOWED_ALGORITHMS],
    issuer: settings.issuer,
    audience,
    requiredClaims: ["exp", "sub", "iat"],
  });
  const claims = TokenClaims.safeParse(payload);
  if (!claims.success) throw new Error(`bad claims: ${claims.error.issues[0]?.message}`);
  if (!HubTokenRole.safeParse(claims.data.role).success) {
    throw new Error(`the hub does not sign ${claims.data.role} sessions`);
  }
  return { claims: claims.data, payload };
}

/** A verified link (not yet consumed): its claims, id, expiry and the session's lifetime. */
export type VerifiedLoginLink = {
  claims: TokenClaims;
  jti: string;
  expiresAt: Date;
  sessionTtlSeconds: number;
};

/** null when the link is malformed, expired, or not a hub login link. */
export async function verifyHubLoginLink(
  keys: KeyRing,
  settings: TokenSettings,
  token: string,
): Promise<VerifiedLoginLink | null> {
  try {
    // As for bearer tokens (tokens.ts): the key file is looked at once a second at most (a
    // session cookie goes through verifyOnce, which does it).
    await keys.refreshIfDue().catch(() => undefined);
    const { claims, payload } = await verifyWithKeys(
      keys,
      settings,
      token,
      loginAudience(settings.audience),
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

export async function signHubSession(
  keys: KeyRing,
  settings: TokenSettings,
  claims: TokenClaims,
  ttlSeconds: number,
  csrf: string,
): Promise<string> {
  const payload: Record<string, unknown> = { role: claims.role, csrf };
  if (claims.fabriqueId) payload.fabriqueId = claims.fabriqueId;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "EdDSA", kid: keys.signer.kid, typ: "JWT" })
    .setIssuer(settings.issuer)
    .setAudience(sessionAudience(settings.audience))
    .setSubject(claims.sub)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(keys.signer.privateKey);
}

/** Per key ring: the session cookies it verified (tokens.ts's verifyOnce). */
const verifiedSessions = new WeakMap<KeyRing, VerifiedTokens<string, SessionClaims>>();

/** The session of a cookie: UNAUTHENTICATED when it does not verify (expired, another key). */
export async function verifyHubSession(
  keys: KeyRing,
  settings: TokenSettings,
  token: string,
): Promise<SessionClaims> {
  try {
    // As a bearer token: once per cookie while it holds and the keys are the same (verifyOnce).
    return await verifyOnce(verifiedSessions, keys, settings, token, async () => {
      const { claims, payload } = await verifyWithKeys(
        keys,
        settings,
        token,
        sessionAudience(settings.audience),
      );
      if (typeof payload.csrf !== "string" || payload.csrf.length < 16) throw new Error("no csrf");
      if (typeof payload.jti !== "string" || !payload.jti) throw new Error("no jti");
      return { ...claims, exp: payload.exp as number, csrf: payload.csrf, jti: payload.jti };
    });
  } catch (error) {
    throw new MaillageError("UNAUTHENTICATED", "invalid or expired session", undefined, {
      cause: error,
    });
  }
}
