import { createHash, randomBytes } from "node:crypto";
import { CONSENT_FIELDS, type ConsentField } from "@maillage/schema";
import {
  base64url,
  type CryptoKey,
  compactVerify,
  decodeProtectedHeader,
  type JWK,
  type KeyObject,
  SignJWT,
} from "jose";

/**
 * The member's pass as an SD-JWT VC, made and checked by hand on jose (EdDSA) — no SD-JWT
 * library: `@sd-jwt/sd-jwt-vc` 0.20 depends on a pre-release (`@owf/token-status-list`
 * 0.1.0-alpha) and its `@sd-jwt/crypto-nodejs` lags a version behind (0.19); the format below is
 * small and every rule it needs is cited where it is applied.
 *
 * - RFC 9901 (Selective Disclosure for JWTs, SD-JWT): §4 the compact form
 *   `<Issuer-signed JWT>~<Disclosure 1>~…~<Disclosure N>~` (no Key Binding JWT: the pass has no
 *   holder key, a printed card must work, so the last component is empty); §4.2.1 a Disclosure
 *   is base64url(UTF-8 JSON `[salt, claim name, claim value]`) with a salt of 128 bits or more;
 *   §4.2.3 its digest is base64url(SHA-256(the Disclosure's ASCII)); §4.2.4.1 the digests go in
 *   `_sd`, in an order that hides the claims' original order (sorted); §4.2.5 decoy digests hide
 *   how many claims there are; §4.1.1 `_sd_alg` names the hash ("sha-256").
 *   Verification, §7.1: the issuer-signed JWT's signature and algorithm (never "none"), each
 *   Disclosure's digest found exactly once in `_sd`, a claim name not already in the payload, no
 *   Disclosure repeated, `_sd`/`_sd_alg` removed from the result.
 * - draft-ietf-oauth-sd-jwt-vc (SD-JWT-based Verifiable Credentials, -09+): §3.2.1 the media
 *   type and JOSE `typ` is `dc+sd-jwt` (renamed from `vc+sd-jwt` in -06; we issue the current
 *   name and accept only it); §3.2.2.1 `vct` names the credential type (ours:
 *   `urn:maillage:pass:1`), `iss`, `nbf`, `exp`, `sub`, `iat` are plain (never disclosable)
 *   claims; §3.5 the issuer's key: we take it from the network's replicated node keys by `kid`
 *   (the node id), not by fetching metadata (verification works offline).
 */

export const PASS_TYP = "dc+sd-jwt";
export const PASS_VCT = "urn:maillage:pass:1";
const SD_ALG = "sha-256";
/** Every pass carries this many digests (real and decoys): how much was consented stays hidden. */
const DIGESTS_PER_PASS = CONSENT_FIELDS.length;

export function issuerOf(nodeId: string): string {
  return `urn:maillage:node:${nodeId}`;
}
export function subjectOf(memberId: string): string {
  return `urn:maillage:member:${memberId}`;
}

export type PassClaims = {
  passId: string;
  nodeId: string;
  memberId: string;
  homeSpaceId: string;
  validFrom: Date;
  validUntil: Date;
  issuedAt: Date;
};

/** An issued pass: the issuer-signed JWT and one Disclosure per consented field it carries. */
export type IssuedSdJwt = { jwt: string; disclosures: Partial<Record<ConsentField, string>> };

const decoder = new TextDecoder("utf-8", { fatal: true });
const utf8 = (bytes: Uint8Array) => decoder.decode(bytes);

export function digestOf(disclosure: string): string {
  // RFC 9901 §4.2.3: over the ASCII bytes of the base64url Disclosure as it is in the SD-JWT.
  return base64url.encode(createHash("sha256").update(disclosure, "ascii").digest());
}

function disclosureOf(name: ConsentField, value: string): string {
  const salt = base64url.encode(randomBytes(16)); // RFC 9901 §4.2.1: 128 bits
  return base64url.encode(JSON.stringify([salt, name, value]));
}

/** Signs a pass with the home node's key; `fields`: the consented fields the member has. */
export async function issueSdJwt(
  claims: PassClaims,
  fields: Partial<Record<ConsentField, string>>,
  privateKey: CryptoKey | KeyObject,
): Promise<IssuedSdJwt> {
  const disclosures: Partial<Record<ConsentField, string>> = {};
  const digests: string[] = [];
  for (const name of CONSENT_FIELDS) {
    const value = fields[name];
    if (value === undefined) continue;
    const disclosure = disclosureOf(name, value);
    disclosures[name] = disclosure;
    digests.push(digestOf(disclosure));
  }
  // RFC 9901 §4.2.5: decoys, the digest of a random value (never a Disclosure).
  while (digests.length < DIGESTS_PER_PASS) {
    digests.push(base64url.encode(createHash("sha256").update(randomBytes(16)).digest()));
  }
  digests.sort(); // §4.2.4.1: no trace of the claims' order
  const jwt = await new SignJWT({
    vct: PASS_VCT,
    homeSpaceId: claims.homeSpaceId,
    _sd: digests,
    _sd_alg: SD_ALG,
  })
    .setProtectedHeader({ alg: "EdDSA", typ: PASS_TYP, kid: claims.nodeId })
    .setIssuer(issuerOf(claims.nodeId))
    .setSubject(subjectOf(claims.memberId))
    .setJti(claims.passId)
    .setIssuedAt(Math.floor(claims.issuedAt.getTime() / 1000))
    .setNotBefore(Math.floor(claims.validFrom.getTime() / 1000))
    .setExpirationTime(Math.floor(claims.validUntil.getTime() / 1000))
    .sign(privateKey);
  return { jwt, disclosures };
}

/** The compact SD-JWT showing `chosen` of the pass's disclosures (RFC 9901 §4, no KB-JWT). */
export function present(issued: IssuedSdJwt, chosen: readonly ConsentField[]): string {
  const parts = [issued.jwt];
  for (const name of CONSENT_FIELDS) {
    const disclosure = issued.disclosures[name];
    if (chosen.includes(name) && disclosure !== undefined) parts.push(disclosure);
  }
  return `${parts.join("~")}~`;
}

/** Splits a stored full SD-JWT (every disclosure) back into its parts. */
export function parseIssued(sdJwt: string): IssuedSdJwt {
  const [jwt, ...rest] = sdJwt.split("~");
  const disclosures: Partial<Record<ConsentField, string>> = {};
  for (const d of rest) {
    if (d === "") continue;
    const [, name] = JSON.parse(utf8(base64url.decode(d))) as [string, ConsentField];
    disclosures[name] = d;
  }
  return { jwt: jwt as string, disclosures };
}

/** The value a Disclosure carries (one this node made: `[salt, name, value]`). */
export function disclosedValue(disclosure: string): string {
  return (JSON.parse(utf8(base64url.decode(disclosure))) as [string, string, string])[2];
}

/** Why a presentation is refused; the caller turns these into the documented codes. */
export type SdJwtFailure =
  | { code: "PASS_INVALID"; reason: string }
  | { code: "PASS_UNKNOWN_ISSUER"; reason: string };

export type VerifiedPass = {
  passId: string;
  issuerNodeId: string;
  memberId: string;
  homeSpaceId: string;
  validFrom: Date;
  validUntil: Date;
  /** Exactly the disclosures presented, each checked against the signed digests. */
  disclosed: Partial<Record<ConsentField, string>>;
};

const MAX_PRESENTATION_CHARS = 8_000;
const B64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Verifies a presentation offline (RFC 9901 §7.1 and the SD-JWT VC rules above): `keyOf`
 * gives the public key of a node id from the replicated node keys, or undefined. Validity and
 * revocation are the caller's (they depend on the visit's time and the PASS replica).
 */
export async function verifySdJwt(
  presentation: string,
  keyOf: (nodeId: string) => Promise<JWK | CryptoKey | KeyObject | undefined>,
): Promise<{ ok: true; pass: VerifiedPass } | { ok: false; failure: SdJwtFailure }> {
  const invalid = (reason: string) =>
    ({ ok: false, failure: { code: "PASS_INVALID", reason } }) as const;
  const text = presentation.trim();
  if (text.length > MAX_PRESENTATION_CHARS) return invalid("too long");
  const parts = text.split("~");
  // §4: the last component is the KB-JWT or empty; the pass binds no holder key.
  if (parts.length < 2 || parts[parts.length - 1] !== "") {
    return invalid("not an SD-JWT without key binding (<JWT>~<disclosures>~)");
  }
  const jwt = parts[0] as string;
  const disclosures = parts.slice(1, -1);
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jwt);
  } catch {
    return invalid("the issuer-signed JWT cannot be read");
  }
  if (header.typ !== PASS_TYP) return invalid(`typ must be ${PASS_TYP}`);
  if (header.alg !== "EdDSA") return invalid("alg must be EdDSA"); // §7.1 step 2: never "none"
  if (typeof header.kid !== "string" || header.kid === "") return invalid("no kid");
  const key = await keyOf(header.kid);
  if (key === undefined) {
    return {
      ok: false,
      failure: { code: "PASS_UNKNOWN_ISSUER", reason: `no node key ${header.kid} here` },
    };
  }
  let payload: Record<string, unknown>;
  try {
    const verified = await compactVerify(jwt, key as CryptoKey, { algorithms: ["EdDSA"] });
    payload = JSON.parse(utf8(verified.payload));
  } catch {
    return invalid("the signature does not verify");
  }
  if (payload.iss !== issuerOf(header.kid)) return invalid("iss is not the signing node");
  if (payload.vct !== PASS_VCT) return invalid(`vct must be ${PASS_VCT}`);
  if (payload._sd_alg !== SD_ALG) return invalid(`_sd_alg must be ${SD_ALG}`);
  const sd = payload._sd;
  if (!Array.isArray(sd) || !sd.every((d) => typeof d === "string")) return invalid("no _sd");
  const subject = typeof payload.sub === "string" ? payload.sub : "";
  const memberId = subject.startsWith("urn:maillage:member:")
    ? subject.slice("urn:maillage:member:".length)
    : "";
  const { jti, homeSpaceId, nbf, exp } = payload;
  if (
    memberId === "" ||
    typeof jti !== "string" ||
    typeof homeSpaceId !== "string" ||
    typeof nbf !== "number" ||
    typeof exp !== "number"
  ) {
    return invalid("sub, jti, homeSpaceId, nbf and exp are required");
  }
  const disclosed: Partial<Record<ConsentField, string>> = {};
  const seen = new Set<string>();
  for (const disclosure of disclosures) {
    if (!B64URL.test(disclosure)) return invalid("a disclosure is not base64url");
    const digest = digestOf(disclosure);
    // §7.1: every Disclosure's digest in the signed payload, and none used twice.
    if (!sd.includes(digest) || seen.has(digest)) return invalid("a disclosure is not signed");
    seen.add(digest);
    let decoded: unknown;
    try {
      decoded = JSON.parse(utf8(base64url.decode(disclosure)));
    } catch {
      return invalid("a disclosure is not JSON");
    }
    if (!Array.isArray(decoded) || decoded.length !== 3) return invalid("not an object property");
    const [salt, name, value] = decoded as unknown[];
    if (typeof salt !== "string" || typeof value !== "string") return invalid("bad disclosure");
    if (!(CONSENT_FIELDS as readonly unknown[]).includes(name)) return invalid("unknown claim");
    const field = name as ConsentField;
    // §7.1: a claim name must not already exist at that level.
    if (field in payload || disclosed[field] !== undefined) return invalid("claim repeated");
    disclosed[field] = value;
  }
  return {
    ok: true,
    pass: {
      passId: jti,
      issuerNodeId: header.kid,
      memberId,
      homeSpaceId,
      validFrom: new Date(nbf * 1000),
      validUntil: new Date(exp * 1000),
      disclosed,
    },
  };
}
