import type { AvailabilityChangedEvent, BookingUpdateEvent } from "../../realtime/pubsub.ts";
import type { Sql } from "../sync/change-log.repository.ts";
import type { AvailabilityRange, Consequence } from "../sync/push-handlers.ts";
import { bookingRequestViews, resourceAudience } from "./booking.repository.ts";

/**
 * The live updates a push makes, read in its transaction and published after its commit:
 * one `booking:updated` per request created, withdrawn or decided (as the hub now holds it),
 * one `resource:availability` per resource, over the union of the ranges that changed.
 */
export type LiveUpdates = {
  bookings: BookingUpdateEvent[];
  availability: AvailabilityChangedEvent[];
};

/** Merges ranges per resource: the smallest range covering them all (null: any time). */
function mergeRanges(ranges: AvailabilityRange[]): Map<string, AvailabilityRange> {
  const merged = new Map<string, AvailabilityRange>();
  for (const range of ranges) {
    const seen = merged.get(range.resourceId);
    if (!seen) {
      merged.set(range.resourceId, { ...range });
      continue;
    }
    const open = seen.from === null || range.from === null || seen.to === null || range.to === null;
    seen.from = open
      ? null
      : (seen.from as string) < (range.from as string)
        ? seen.from
        : range.from;
    seen.to = open ? null : (seen.to as string) > (range.to as string) ? seen.to : range.to;
  }
  return merged;
}

export async function collectLiveUpdates(
  sql: Sql,
  consequences: Consequence[],
): Promise<LiveUpdates> {
  const requestIds = [
    ...new Set(consequences.flatMap((c) => (c.bookingRequestId ? [c.bookingRequestId] : []))),
  ];
  const ranges = mergeRanges(consequences.flatMap((c) => c.availability ?? []));
  const bookings = await bookingRequestViews(sql, requestIds);
  const updatedAt = new Date().toISOString();
  const availability = (await resourceAudience(sql, [...ranges.keys()])).flatMap((resource) => {
    const range = ranges.get(resource.id);
    return range
      ? [
          {
            resourceId: resource.id,
            from: range.from,
            to: range.to,
            updatedAt,
            sharingScope: resource.sharing_scope,
            networkId: resource.network_id,
          },
        ]
      : [];
  });
  return { bookings, availability };
}
