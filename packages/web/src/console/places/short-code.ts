/** A pass's short code as typed at the desk: XXXX-XXXX-XXXX (the API's Pass.shortCode). */
export const SHORT_CODE = /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/;

/** Upper-cased, spaces and stray signs removed, dashes put back; left as typed otherwise. */
export function normaliseShortCode(typed: string): string {
  const bare = typed.toUpperCase().replace(/[^A-Z0-9]/g, "");
  if (bare.length !== 12) return typed.trim().toUpperCase();
  return `${bare.slice(0, 4)}-${bare.slice(4, 8)}-${bare.slice(8)}`;
}

/** Whether a typed text makes a well-formed short code. */
export function isShortCode(typed: string): boolean {
  return SHORT_CODE.test(normaliseShortCode(typed));
}
