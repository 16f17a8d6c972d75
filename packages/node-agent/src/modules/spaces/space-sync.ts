import type { SpacePayload } from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";
import { spaceRepository } from "./space.repository.ts";

/** What applying a pulled SPACE or MEMBER event did. */
export type ReferenceAppliedAs = "reference" | "handover" | "deleted" | "kept-owned";

/**
 * A pulled SPACE event, in the pull transaction (`state` null for a DELETE). A space this
 * node owns is never overwritten by a copy of it; `handover` (an event the hub addressed to
 * this node) makes the node its owner.
 */
export async function applySpaceEvent(
  tx: SqlSession,
  id: string,
  state: SpacePayload | null,
  handover: boolean,
): Promise<ReferenceAppliedAs> {
  if (state === null) {
    return (await spaceRepository.deleteReference(tx, id)) ? "deleted" : "kept-owned";
  }
  const written = handover
    ? await spaceRepository.adoptHandover(tx, id, state)
    : await spaceRepository.upsertReference(tx, id, state);
  return written ? (handover ? "handover" : "reference") : "kept-owned";
}
