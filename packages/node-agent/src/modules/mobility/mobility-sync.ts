import { PassPayload, type PulledEvent, VisitPayload } from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";
import type { Publications } from "../resources/live.ts";
import { mobilityRepository } from "./mobility.repository.ts";

/**
 * Pulled mobility events, applied in the pull transaction (sync/apply.ts):
 * - PASS (owned by the member's home node, sent to every node): the replica any node checks a
 *   pass against offline (revocation, short code); a pass this node owns is never overwritten,
 *   and a revoked replica never comes back to ACTIVE.
 * - VISIT (owned by the visited node, routed by the hub to the member's home node): the replica
 *   the member and the home team see, published live (visitRecorded). Applying it twice leaves
 *   one row (the visit id is the key): a visit arrives at home once.
 * A payload that breaks the contract is skipped and reported, never blocking the pull.
 */
export const MOBILITY_ENTITIES = new Set(["PASS", "VISIT"]);

export type MobilityAppliedAs = "pass" | "visit" | "deleted" | "kept-owned" | "skipped";

export async function applyMobilityEvent(
  tx: SqlSession,
  event: PulledEvent,
  pubs: Publications,
  onSkipped: (error: unknown) => void = () => {},
): Promise<MobilityAppliedAs> {
  if (event.entity === "PASS") {
    if (event.op === "DELETE") {
      return (await mobilityRepository.deletePassReplica(tx, event.entityId))
        ? "deleted"
        : "kept-owned";
    }
    const parsed = PassPayload.safeParse(event.payload);
    if (!parsed.success) {
      onSkipped(parsed.error);
      return "skipped";
    }
    return (await mobilityRepository.upsertPassReplica(tx, event.entityId, parsed.data))
      ? "pass"
      : "kept-owned";
  }
  if (event.entity === "VISIT") {
    if (event.op === "DELETE") {
      return (await mobilityRepository.deleteVisitReplica(tx, event.entityId))
        ? "deleted"
        : "kept-owned";
    }
    const parsed = VisitPayload.safeParse(event.payload);
    if (!parsed.success) {
      onSkipped(parsed.error);
      return "skipped";
    }
    const visit = await mobilityRepository.upsertVisitReplica(tx, event.entityId, parsed.data);
    if (!visit) return "kept-owned";
    pubs.items.push({ topic: "visitRecorded", visit });
    return "visit";
  }
  return "skipped";
}
