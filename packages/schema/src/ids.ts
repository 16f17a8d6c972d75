import { MaillageError } from "./errors.ts";

/**
 * One id per record, the same string at the hub, at every agent, in the CLI, in exports and in
 * the sync contract: the record's raw id, a ULID for every record a hub or agent creates (26
 * characters of Crockford's base32). Ids are unique across every kind of record, so a raw id
 * is also a valid Relay global id as it is.
 *
 * Hubs before this convention answered Relay global ids, `base64("<Type>:<id>")`; every input
 * still accepts that form and normalises it to the raw id, so links and scripts written then
 * keep working. A raw id is what the sync contract accepts as an entity id: 1 to 64 printable
 * ASCII characters without spaces.
 */
export const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

const RAW_ID = /^[\x21-\x7e]{1,64}$/;
const LEGACY_GLOBAL = /^(Space|NodeAgent|Resource):([\x21-\x7e]{1,64})$/;

export type ParsedId = { ok: true; id: string } | { ok: false; reason: string };

/** Reads an id as any input gives it; `typename` checks the old global form's type. */
export function parseId(value: string, typename?: string): ParsedId {
  const text = value.trim();
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 === 0) {
    const global = LEGACY_GLOBAL.exec(Buffer.from(text, "base64").toString("latin1"));
    if (global?.[1] && global[2]) {
      if (typename === undefined || global[1] === typename) return { ok: true, id: global[2] };
      return { ok: false, reason: `is the id of a ${global[1]}, not of a ${typename}` };
    }
  }
  if (RAW_ID.test(text))
    return { ok: true, id: ULID_PATTERN.test(text.toUpperCase()) ? text.toUpperCase() : text };
  return { ok: false, reason: "is not a Maillage id" };
}

/** The raw id, or BAD_USER_INPUT naming the field. */
export function requireId(value: string, field: string, typename?: string): string {
  const parsed = parseId(value, typename);
  if (parsed.ok) return parsed.id;
  throw new MaillageError("BAD_USER_INPUT", `${field}: ${JSON.stringify(value)} ${parsed.reason}`, {
    field,
  });
}

/**
 * The raw id when `value` is a well-formed id, `value` itself otherwise: for authorization
 * checks that run before the resolver, which then refuses a malformed id with `requireId`.
 */
export function normaliseId(value: string, typename?: string): string {
  const parsed = parseId(value, typename);
  return parsed.ok ? parsed.id : value;
}
