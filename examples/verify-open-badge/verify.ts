/**
 * Verifies an Open Badges 3.0 credential exported by a Maillage node agent, with nothing from
 * Maillage but what the network publishes: the JWKS of node keys and the issuer's status list.
 *
 *   npx tsx examples/verify-open-badge/verify.ts badge.jwt
 *   npx tsx examples/verify-open-badge/verify.ts badge.jwt --name "Ada Martin" --salt <salt>
 *
 * badge.jwt holds the `vcJwt` of `exportOpenBadge` (at the member's home agent). --keys
 * defaults to the status list's host + /.well-known/nodes.jwks.json (the hub; any agent serves
 * the same, offline). Exit code 0: valid and not revoked; 1 otherwise.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { base64url, createLocalJWKSet, type JSONWebKeySet, jwtVerify } from "jose";

type StatusEntry = { statusListIndex: string; statusListCredential: string };
type Subject = {
  achievement?: { name?: string };
  identifier?: { identityType?: string; identityHash?: string }[];
};

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: { keys: { type: "string" }, name: { type: "string" }, salt: { type: "string" } },
});
const file = positionals[0];
if (!file) {
  console.error("usage: verify.ts <file holding the VC-JWT> [--keys URL] [--name N --salt S]");
  process.exit(2);
}
const vcJwt = fs.readFileSync(file, "utf8").trim();

// 1. The signature, with the issuing node's key (the JWS `kid` is the node id).
const [, body] = vcJwt.split(".");
const claims = JSON.parse(new TextDecoder().decode(base64url.decode(body ?? ""))) as {
  credentialStatus?: StatusEntry;
};
const status = claims.credentialStatus;
const keysUrl =
  options.keys ??
  (status ? new URL("/.well-known/nodes.jwks.json", status.statusListCredential).href : undefined);
if (!keysUrl) throw new Error("no credentialStatus: give --keys, a JWKS of node keys");
const jwks = createLocalJWKSet((await (await fetch(keysUrl)).json()) as JSONWebKeySet);
const { payload, protectedHeader } = await jwtVerify(vcJwt, jwks, { typ: "vc+jwt" });
const subject = payload.credentialSubject as Subject;
console.log(`signed by node ${protectedHeader.kid} (${JSON.stringify(payload.issuer)})`);
console.log(`achievement: ${subject.achievement?.name}; valid from ${payload.validFrom}`);

// 2. The name, when the member gave it with its salt: sha256(name followed by salt).
const hashed = subject.identifier?.find((i) => i.identityType === "name")?.identityHash;
if (options.name && options.salt && hashed) {
  const hex = createHash("sha256").update(`${options.name}${options.salt}`).digest("hex");
  console.log(`name ${hashed === `sha256$${hex}` ? "matches" : "DOES NOT match"} the credential`);
}

// 3. Revocation: the issuer's BitstringStatusListCredential, verified with the same keys; the
//    bit at statusListIndex of the GZIP-ed, multibase base64url list (index 0 = leftmost bit).
let revoked = false;
if (status) {
  const list = await jwtVerify(await (await fetch(status.statusListCredential)).text(), jwks);
  const encoded = (list.payload.credentialSubject as { encodedList: string }).encodedList;
  const bits = gunzipSync(base64url.decode(encoded.slice(1)));
  const index = Number(status.statusListIndex);
  revoked = (((bits[Math.floor(index / 8)] ?? 0) >> (7 - (index % 8))) & 1) === 1;
  console.log(revoked ? "REVOKED by its issuer" : "not revoked");
}
process.exit(revoked ? 1 : 0);
