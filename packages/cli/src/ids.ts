import { ULID_PATTERN } from "@maillage/schema";

export type ParsedFabriqueId = { ok: true; id: string } | { ok: false; reason: string };

/**
 * A fabrique's id as `hub token --fabrique` accepts it: its raw id (a ULID, the one form the
 * hub, the agents and the sync contract use; read in upper case), or the older Relay global
 * form `base64("Space:<ULID>")` that hubs answered before, normalised to the raw id. Anything
 * else is refused, with the reason.
 */
export function parseFabriqueId(value: string): ParsedFabriqueId {
  const text = value.trim();
  if (ULID_PATTERN.test(text.toUpperCase())) return { ok: true, id: text.toUpperCase() };
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 === 0) {
    const global = /^([A-Za-z]+):(.+)$/.exec(Buffer.from(text, "base64").toString("latin1"));
    const [, typename, id] = global ?? [];
    if (typename !== undefined && id !== undefined && ULID_PATTERN.test(id.toUpperCase())) {
      return typename === "Space"
        ? { ok: true, id: id.toUpperCase() }
        : { ok: false, reason: `is the id of a ${typename}, not of a fabrique` };
    }
  }
  return { ok: false, reason: "is not a fabrique id (26 characters, or its older global form)" };
}
