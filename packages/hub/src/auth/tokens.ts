import { randomUUID } from "node:crypto";
import { ALLOWED_ALGORITHMS, HubTokenRole, MaillageError, TokenClaims } from "@maillage/schema";
import { type JWTHeaderParameters, errors as joseErrors, jwtVerify, SignJWT } from "jose";
import type { HubConfig } from "../env.ts";
import { KeyRing } from "./keys.ts";
import { VerifiedTokens } from "./verified-tokens.ts";

type TokenSettings = Pick<HubConfig, "issuer" | "audience">;

export async function signHubToken(
  keys: KeyRing,
  settings: TokenSettings,
  claims: { role: HubTokenRole; fabriqueId?: string | undefined; subject?: string },
  ttl: string,
): Promise<string> {
  const signer = keys.signer;
  const subject =
    claims.subject ?? `${claims.role.toLowerCase()}:${claims.fabriqueId ?? "network"}`;
  const payload: Record<string, unknown> = { role: claims.role };
  if (claims.fabriqueId) payload.fabriqueId = claims.fabriqueId;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "EdDSA", kid: signer.kid, typ: "JWT" })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(subject)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(signer.privateKey);
}

/**
 * The operator's way to get a first token (`maillage hub token`). Reads only the key file
 * (creating it on a fresh data dir), never the database, so it works while the hub runs.
 */
export async function issueHubToken(
  config: HubConfig,
  claims: { role: HubTokenRole; fabriqueId?: string | undefined },
  ttl: string,
): Promise<string> {
  const keys = await KeyRing.open(config);
  return signHubToken(keys, config, claims, ttl);
}

/** The claims of a verified token, with its expiry (seconds since the epoch). */
/** `jti`: the token's own id (hub tokens and sessions carry one), its rate-limit budget. */
export type VerifiedClaims = TokenClaims & { exp: number; jti?: string | undefined };

/** Per key ring: the tokens it verified, with the ring's generation and the settings then. */
const verifiedBy = new WeakMap<KeyRing, VerifiedTokens<string>>();

/**
 * Verifies a bearer token signed by the hub: EdDSA only, a `kid` of a key currently in the key
 * file, required `iss`, `aud`, `exp`, `sub`. Any failure is UNAUTHENTICATED; the reason stays
 * in the server log. `exp` is kept so that a WebSocket can be closed when its token expires.
 *
 * Once per token: a token verified before is taken from memory while it has not expired and
 * the keys have not changed (VerifiedTokens). The key file is looked at once a second at most
 * (KeyRing.refreshIfDue), and at once when a token names a kid the ring does not know (a key
 * rotated by the CLI): a removed key stops verifying within a second.
 */
export async function verifyHubToken(
  keys: KeyRing,
  settings: TokenSettings,
  token: string,
): Promise<VerifiedClaims> {
  // A token verified before, with the keys still in force, is not verified again.
  return verifyOnce(verifiedBy, keys, settings, token, () =>
    verifyHubTokenSignature(keys, settings, token),
  );
}

/**
 * `verify(token)`, or what it answered before for the same token while the token has not
 * expired and `keys` (their generation) and `settings` are the same: the hub's bearer tokens
 * and session cookies (login-links.ts) are each verified once, not once per request.
 */
export async function verifyOnce<Claims extends { exp: number }>(
  cache: WeakMap<KeyRing, VerifiedTokens<string, Claims>>,
  keys: KeyRing,
  settings: TokenSettings,
  token: string,
  verify: () => Promise<Claims>,
): Promise<Claims> {
  await keys.refreshIfDue().catch(() => undefined);
  let verified = cache.get(keys);
  if (!verified) {
    verified = new VerifiedTokens<string, Claims>();
    cache.set(keys, verified);
  }
  const proof = `${keys.generation}\n${settings.issuer}\n${settings.audience}`;
  const known = verified.get(token, (then) => then === proof);
  if (known) return known;
  const claims = await verify();
  verified.set(token, claims, proof);
  return claims;
}

async function verifyHubTokenSignature(
  keys: KeyRing,
  settings: TokenSettings,
  token: string,
): Promise<VerifiedClaims> {
  const resolveKey = async (header: JWTHeaderParameters) => {
    // An unknown kid may be a key just rotated in by the CLI: look at the key file now. A key
    // file that cannot be read right now leaves the current keys in place.
    if (!keys.find(header.kid)) await keys.refresh().catch(() => undefined);
    const key = keys.find(header.kid);
    if (!key) throw new joseErrors.JWKSNoMatchingKey();
    return key.publicKey;
  };
  try {
    const { payload } = await jwtVerify(token, resolveKey, {
      algorithms: [...ALLOWED_ALGORITHMS],
      issuer: settings.issuer,
      audience: settings.audience,
      requiredClaims: ["exp", "sub", "iat"],
    });
    const claims = TokenClaims.safeParse(payload);
    if (!claims.success) throw new Error(`bad claims: ${claims.error.issues[0]?.message}`);
    // The hub's key signs people's tokens only; nodes sign their own.
    if (!HubTokenRole.safeParse(claims.data.role).success) {
      throw new Error(`the hub does not sign ${claims.data.role} tokens`);
    }
    // requiredClaims guarantees exp; jose has checked it is a number in the future.
    const jti = typeof payload.jti === "string" ? payload.jti : undefined;
    return { ...claims.data, exp: payload.exp as number, ...(jti ? { jti } : {}) };
  } catch (error) {
    throw new MaillageError("UNAUTHENTICATED", "invalid or expired token", undefined, {
      cause: error,
    });
  }
}
