/** A ULID: 26 characters of Crockford's base32, the first at most 7 (128 bits). */
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

export type ParsedId = { ok: true; id: string } | { ok: false; reason: string };

/**
 * A space id as the CLI's flags accept it: the raw id (a ULID, what the hub, the agents and the
 * sync contract use), or the older Relay global form `base64("Space:<ULID>")`, normalised to the
 * raw id. ULIDs are case-insensitive; the canonical form is upper case.
 */
export function parseSpaceId(value: string): ParsedId {
  const text = value.trim();
  if (ULID.test(text.toUpperCase())) return { ok: true, id: text.toUpperCase() };
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    const decoded = Buffer.from(text, "base64").toString("utf8");
    const global = /^([A-Za-z]+):(.*)$/.exec(decoded);
    if (global?.[1] === "Space" && ULID.test(global[2]?.toUpperCase() ?? "")) {
      return { ok: true, id: (global[2] ?? "").toUpperCase() };
    }
    if (global !== null && global[1] !== "Space" && ULID.test(global[2]?.toUpperCase() ?? "")) {
      return { ok: false, reason: `is the id of a ${global[1]}, not of a space` };
    }
  }
  return { ok: false, reason: "is not a space id (a 26-character ULID)" };
}

/** The Relay global form of a space id, which every hub accepts, old and new. */
export function globalSpaceId(id: string): string {
  return Buffer.from(`Space:${id}`, "utf8").toString("base64");
}
