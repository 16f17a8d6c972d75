/// <reference path="./bitstring.d.ts" />
import { Bitstring } from "@digitalbazaar/bitstring";
import type { CryptoKey } from "jose";
import { issuerIdOf, signVcJwt, VC_CONTEXT_V2 } from "./open-badge.ts";

/**
 * A node's revocation list, as W3C Bitstring Status List v1.0 says (W3C Recommendation):
 * - "BitstringStatusListCredential": its `id` is the URL every BitstringStatusListEntry names
 *   as `statusListCredential`; its subject, of type BitstringStatusList, carries the
 *   `statusPurpose` ("revocation") and the `encodedList`: the Multibase base64url (no padding,
 *   prefix "u") of the GZIP-compressed bitstring;
 * - "Bitstring Generation Algorithm": index 0 is the left-most bit (the most significant bit of
 *   the first byte); 1 means revoked;
 * - a bitstring of at least 131,072 entries (16 KB) so that a list hides whose status is
 *   fetched ("Herd Privacy"), indexes drawn at random ("Group Privacy" advice).
 * The bit work is @digitalbazaar/bitstring's (left-to-right indexing, pako's GZIP); it is signed
 * as a VC-JWT by the issuing node like its credentials (open-badge.ts).
 */

/** The minimum length of a bitstring, in bits (16 KB). */
export const MIN_LIST_BITS = 131_072;

/** The list's length for `used` entries: the minimum, doubled while more than half is used. */
export function listLength(used: number): number {
  let length = MIN_LIST_BITS;
  while (used * 2 > length) length *= 2;
  return length;
}

/** `u` + base64url(GZIP(bits)), index 0 the left-most bit: encodedList. */
export async function encodeStatusList(length: number, revoked: Iterable<number>): Promise<string> {
  const bits = new Bitstring({ length });
  for (const index of revoked) bits.set(index, true);
  return `u${await bits.encodeBits()}`;
}

/** Whether `index` is set in an encodedList (the "Validate Algorithm"'s bit lookup). */
export async function statusBit(encodedList: string, index: number): Promise<boolean> {
  if (!encodedList.startsWith("u")) throw new Error("encodedList is not multibase base64url");
  const buffer = await Bitstring.decodeBits({ encoded: encodedList.slice(1) });
  // "Bitstring Expansion" / "Validate Algorithm": a list shorter than 16 KB is an error.
  if (buffer.length * 8 < MIN_LIST_BITS) throw new Error("status list shorter than 16 KB");
  return new Bitstring({ buffer }).get(index);
}

/** The signed BitstringStatusListCredential of a node (VC-JWT, EdDSA, kid = node id). */
export async function signStatusList(args: {
  nodeId: string;
  privateKey: CryptoKey;
  listUrl: string;
  length: number;
  revoked: Iterable<number>;
  at: Date;
}): Promise<string> {
  const credential = {
    "@context": [VC_CONTEXT_V2],
    id: args.listUrl,
    type: ["VerifiableCredential", "BitstringStatusListCredential"],
    issuer: issuerIdOf(args.nodeId),
    validFrom: args.at.toISOString(),
    credentialSubject: {
      id: `${args.listUrl}#list`,
      type: "BitstringStatusList",
      statusPurpose: "revocation",
      encodedList: await encodeStatusList(args.length, args.revoked),
    },
  };
  // No `nbf` (optional in VC-JOSE-COSE): a list signed by a node whose clock runs ahead must
  // still be read at once, or a revocation would not count until the verifier's clock caught
  // up. `iat` says when it was signed.
  return signVcJwt(
    credential,
    { nodeId: args.nodeId, privateKey: args.privateKey },
    { notBefore: false, issuedAt: true },
  );
}
