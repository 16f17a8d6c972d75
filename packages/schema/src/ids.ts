import { MaillageError } from "./errors.ts";

/**
 * One id per record, the same string at the hub, at every agent, in the CLI, in exports and in
 * the sync contract: the record's raw id, a ULID for every record a hub or agent creates (26
 * characters of Crockford's base32). Ids are unique across every kind of record, so a raw id
 * is also a valid Relay global id as it is: no base64 "<Type>:<id>" form anywhere. A raw id is
 * what the sync contract accepts as an entity id: 1 to 64 printable ASCII characters without
 * spaces.
 */
export const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

const RAW_ID = /^[\x21-\x7e]{1,64}$/;

export type ParsedId = { ok: true; id: string } | { ok: false; reason: string };

/** Reads an id as an input gives it (a lower-case ULID is read in its canonical upper case). */
export function parseId(value: string): ParsedId {
  const text = value.trim();
  if (!RAW_ID.test(text)) return { ok: false, reason: "is not a Maillage id" };
  return { ok: true, id: ULID_PATTERN.test(text.toUpperCase()) ? text.toUpperCase() : text };
}

/** The raw id, or BAD_USER_INPUT naming the field. */
export function requireId(value: string, field: string): string {
  const parsed = parseId(value);
  if (parsed.ok) return parsed.id;
  throw new MaillageError("BAD_USER_INPUT", `${field}: ${JSON.stringify(value)} ${parsed.reason}`, {
    field,
  });
}
