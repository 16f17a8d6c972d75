import { ULID_PATTERN } from "@maillage/schema";

export type ParsedFabriqueId = { ok: true; id: string } | { ok: false; reason: string };

/**
 * A fabrique's id as `hub token --fabrique` accepts it: its id, a ULID (the one form the hub,
 * the agents, the CLI and the sync contract use; read in upper case). Anything else is refused,
 * with the reason.
 */
export function parseFabriqueId(value: string): ParsedFabriqueId {
  const text = value.trim();
  if (ULID_PATTERN.test(text.toUpperCase())) return { ok: true, id: text.toUpperCase() };
  return { ok: false, reason: "is not a fabrique id (a 26-character ULID)" };
}
