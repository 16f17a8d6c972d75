import { createHash, randomInt } from "node:crypto";

/**
 * A pass's short code, to type when there is nothing to scan: 12 characters of Crockford's
 * base32 (0-9 and A-Z without I, L, O, U: 60 random bits), shown XXXX-XXXX-XXXX. Typing is
 * forgiving as Crockford's decoding is: case, hyphens and spaces do not matter, I and L read as
 * 1, O as 0. Only its hash travels (PASS.shortCodeHash); the code itself stays at home.
 */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const SHORT_CODE_LENGTH = 12;

export function newShortCode(): string {
  let code = "";
  for (let i = 0; i < SHORT_CODE_LENGTH; i++) code += ALPHABET[randomInt(32)];
  return code;
}

/** XXXX-XXXX-XXXX. */
export function formatShortCode(code: string): string {
  return code.match(/.{1,4}/g)?.join("-") ?? code;
}

/** The code as typed, normalised; null when it cannot be a short code. */
export function normaliseShortCode(typed: string): string | null {
  const code = typed.toUpperCase().replace(/[\s-]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0");
  if (code.length !== SHORT_CODE_LENGTH) return null;
  for (const c of code) if (!ALPHABET.includes(c)) return null;
  return code;
}

/** PASS.shortCodeHash: `sha256$<hex>` of the normalised code. */
export function shortCodeHash(code: string): string {
  return `sha256$${createHash("sha256").update(code, "ascii").digest("hex")}`;
}
