import { type PulledEvent, TariffPayload, tariffEntityId } from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";
import { tariffRepository } from "./tariff.repository.ts";

/**
 * Pulled TARIFF events (another node's space's tariff versions), in the pull transaction: kept
 * as replicas so that this node prices visits from the same versions as the space's node. A
 * version set here is never overwritten. A payload that breaks the contract, or whose entity
 * id is not `<spaceId>:<validFrom>`, is skipped and reported, never blocking the pull.
 */
export const SETTLEMENT_ENTITIES = new Set(["TARIFF"]);

export type SettlementAppliedAs = "tariff" | "kept-owned" | "deleted" | "skipped";

export async function applySettlementEvent(
  tx: SqlSession,
  event: PulledEvent,
  onSkipped: (error: unknown) => void = () => {},
): Promise<SettlementAppliedAs> {
  if (event.op === "DELETE") {
    const at = event.entityId.lastIndexOf(":");
    if (at < 1) {
      onSkipped(new Error(`TARIFF ${event.entityId}: not <spaceId>:<validFrom>`));
      return "skipped";
    }
    const deleted = await tariffRepository.deleteReplica(
      tx,
      event.entityId.slice(0, at),
      event.entityId.slice(at + 1),
    );
    return deleted ? "deleted" : "kept-owned";
  }
  const parsed = TariffPayload.safeParse(event.payload);
  if (!parsed.success) {
    onSkipped(parsed.error);
    return "skipped";
  }
  if (tariffEntityId(parsed.data.spaceId, parsed.data.validFrom) !== event.entityId) {
    onSkipped(new Error(`TARIFF ${event.entityId} names ${parsed.data.spaceId}`));
    return "skipped";
  }
  return (await tariffRepository.upsertReplica(tx, parsed.data)) ? "tariff" : "kept-owned";
}
