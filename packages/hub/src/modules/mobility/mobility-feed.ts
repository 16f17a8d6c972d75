import type { ChangeEvent, VisitPayload } from "@maillage/schema";
import type { NewNetworkEvent } from "../health/network-events.repository.ts";

/**
 * The national feed's entry for the visits a push brought (kind MOBILITY): counts only — how
 * many visits were recorded or changed, at how many of the territory's places, over which days.
 * No member, no home place: the feed is read live, where even a home would say too much.
 */
export function mobilityArrival(
  networkId: string,
  events: ChangeEvent[],
): NewNetworkEvent | undefined {
  const visits = events.filter((e) => e.op === "UPSERT").map((e) => e.payload as VisitPayload);
  if (visits.length === 0) return undefined;
  const days = visits.map((v) => v.day).sort();
  return {
    kind: "MOBILITY",
    networkId,
    payload: {
      visits: visits.length,
      spaces: new Set(visits.map((v) => v.spaceId)).size,
      from: days[0],
      to: days.at(-1),
    },
  };
}
