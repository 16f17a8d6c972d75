import { type CryptoKey, SignJWT } from "jose";

/**
 * Open Badges 3.0 credentials as this network signs them: an OpenBadgeCredential (1EdTech Open
 * Badges 3.0, on the W3C Verifiable Credentials Data Model 2.0), secured as a VC-JWT (W3C
 * "Securing Verifiable Credentials using JOSE and COSE", §3.1.1: the JWT claims set IS the
 * credential; header typ "vc+jwt", cty "vc"), alg EdDSA (Ed25519) with the issuing node's key.
 *
 * Identifiers (documented in README "Portable credentials"):
 * - issuer:            `urn:maillage:node:<nodeId>`, a Profile with the fabrique's name; its key
 *                      is the JWKS entry whose `kid` is the node id (the JWS header's `kid`), at
 *                      `<hub>/.well-known/nodes.jwks.json` (and every agent, offline);
 * - credential:        `urn:maillage:credential:<credentialId>`;
 * - subject:           `urn:maillage:member:<memberId>` (the pseudonymous id that travels);
 * - achievement:       `urn:maillage:achievement:<credential type>` (the network's types);
 * - status list:       `<hub>/credentials/status/<nodeId>` (BitstringStatusListCredential).
 * The member's name never appears: only its salted hash (IdentityObject, hashed: true).
 */

/** VCDM 2.0 "Contexts": the base one first, then Open Badges 3.0's. */
export const VC_CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2";
export const OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
/** VC-JOSE-COSE §3.1.1: the media type of a VC secured as a JWT, and of its content. */
export const VC_JWT_TYP = "vc+jwt";
export const VC_JWT_CTY = "vc";
/** OB 3.0's JSON Schema of an AchievementCredential, for verifiers that validate the shape. */
export const OB3_CREDENTIAL_SCHEMA = {
  id: "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
  type: "1EdTechJsonSchemaValidator2019",
};

export const issuerIdOf = (nodeId: string) => `urn:maillage:node:${nodeId}`;
export const credentialUrnOf = (credentialId: string) => `urn:maillage:credential:${credentialId}`;
export const memberUrnOf = (memberId: string) => `urn:maillage:member:${memberId}`;
export const achievementIdOf = (type: string) => `urn:maillage:achievement:${type}`;
export const trainingUrnOf = (trainingId: string) => `urn:maillage:training:${trainingId}`;

/** Where a node's status list is published (the hub; every agent serves the same path). */
export function statusListUrlOf(hubUrl: string, nodeId: string): string {
  return `${hubUrl.replace(/\/+$/, "")}/credentials/status/${encodeURIComponent(nodeId)}`;
}

export type IssuerProfile = { nodeId: string; name: string };

/** What a credential says, before it is signed. */
export type OpenBadgeFacts = {
  credentialId: string;
  issuer: IssuerProfile;
  memberId: string;
  type: string;
  issuedAt: Date;
  expiresAt: Date | null;
  trainingId: string | null;
  identityHash: string | null;
  achievement: { name: string; description: string | null };
  /** Its entry in the issuer's status list (null: not revocable through a list). */
  status: { listUrl: string; index: number } | null;
};

/** The credential as JSON (OB 3.0 data model: AchievementCredential, alias OpenBadgeCredential). */
export function openBadgeCredential(f: OpenBadgeFacts): Record<string, unknown> {
  // OB 3.0 Criteria: a narrative for people (in French, the network's language), and for a
  // training's credential the session's URN as the criteria's id, for machines.
  const criteria =
    f.trainingId === null
      ? { narrative: `Délivré par l’équipe de ${f.issuer.name}.` }
      : {
          id: trainingUrnOf(f.trainingId),
          narrative: `A suivi la formation « ${f.achievement.name} » organisée par ${f.issuer.name}, présence constatée par l’organisateur.`,
        };
  return {
    "@context": [VC_CONTEXT_V2, OB3_CONTEXT],
    id: credentialUrnOf(f.credentialId),
    type: ["VerifiableCredential", "OpenBadgeCredential"],
    name: f.achievement.name,
    issuer: {
      id: issuerIdOf(f.issuer.nodeId),
      type: ["Profile"],
      name: f.issuer.name,
      // OB 3.0 Profile.otherIdentifier: the node id, the `kid` of its key in the JWKS.
      otherIdentifier: [
        { type: "IdentifierEntry", identifier: f.issuer.nodeId, identifierType: "identifier" },
      ],
    },
    // VCDM 2.0 "Validity Period": validFrom / validUntil.
    validFrom: f.issuedAt.toISOString(),
    ...(f.expiresAt === null ? {} : { validUntil: f.expiresAt.toISOString() }),
    credentialSubject: {
      id: memberUrnOf(f.memberId),
      type: ["AchievementSubject"],
      achievement: {
        id: achievementIdOf(f.type),
        type: ["Achievement"],
        name: f.achievement.name,
        // OB 3.0 Achievement: description and criteria are required.
        description: f.achievement.description ?? f.achievement.name,
        criteria,
        tag: [f.type],
      },
      // OB 3.0 IdentityObject: the member's name, hashed and salted at its home node.
      ...(f.identityHash === null
        ? {}
        : {
            identifier: [
              {
                type: "IdentityObject",
                identityType: "name",
                hashed: true,
                identityHash: f.identityHash,
              },
            ],
          }),
    },
    credentialSchema: [OB3_CREDENTIAL_SCHEMA],
    // Bitstring Status List v1.0 BitstringStatusListEntry (statusListIndex is a string).
    ...(f.status === null
      ? {}
      : {
          credentialStatus: {
            id: `${f.status.listUrl}#${f.status.index}`,
            type: "BitstringStatusListEntry",
            statusPurpose: "revocation",
            statusListIndex: String(f.status.index),
            statusListCredential: f.status.listUrl,
          },
        }),
  };
}

/**
 * Signs a credential as a VC-JWT. The registered claims mirror the credential as OB 3.0's
 * "VC-JWT" proof format maps them (iss = issuer.id, jti = id, sub = credentialSubject.id,
 * nbf = validFrom, exp = validUntil; no iat), so that plain JWT libraries check validity;
 * VC-JOSE-COSE allows them alongside the credential's properties as long as they never
 * conflict. `notBefore: false` leaves nbf out, `issuedAt` adds iat (status lists).
 */
export async function signVcJwt(
  credential: Record<string, unknown>,
  signer: { nodeId: string; privateKey: CryptoKey },
  options: { notBefore?: boolean; issuedAt?: boolean } = {},
): Promise<string> {
  const issuer = credential.issuer as { id: string } | string;
  const validFrom = new Date(credential.validFrom as string);
  const validUntil = credential.validUntil ? new Date(credential.validUntil as string) : null;
  const subject = (credential.credentialSubject as { id?: string } | undefined)?.id;
  let jwt = new SignJWT(credential)
    .setProtectedHeader({ alg: "EdDSA", kid: signer.nodeId, typ: VC_JWT_TYP, cty: VC_JWT_CTY })
    .setIssuer(typeof issuer === "string" ? issuer : issuer.id);
  const seconds = Math.floor(validFrom.getTime() / 1000);
  if (options.notBefore !== false) jwt = jwt.setNotBefore(seconds);
  if (options.issuedAt) jwt = jwt.setIssuedAt(seconds);
  if (typeof credential.id === "string") jwt = jwt.setJti(credential.id);
  if (subject) jwt = jwt.setSubject(subject);
  if (validUntil) jwt = jwt.setExpirationTime(Math.floor(validUntil.getTime() / 1000));
  return jwt.sign(signer.privateKey);
}
