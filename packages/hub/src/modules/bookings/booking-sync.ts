import type { BookingPayload } from "@maillage/schema";
import * as rollup from "../mutualisation/booking-rollup.repository.ts";
import { isSharedScope } from "../resources/resource-sync.ts";
import {
  type AvailabilityRange,
  type EntityHandler,
  OK,
  ownedElsewhere,
  refuse,
} from "../sync/push-handlers.ts";
import * as repo from "./booking.repository.ts";

/**
 * BOOKING as nodes push it: a slot of a resource its node owns (resource-sync.ts says who
 * reads it in the log). Writing bookings also keeps network health's daily booking rollup,
 * in the same transaction.
 */
export const bookingHandler: EntityHandler = {
  want(event, wanted) {
    wanted.bookings.add(event.entityId);
    if (event.op === "UPSERT") wanted.resources.add((event.payload as BookingPayload).resourceId);
  },
  check(node, event, known) {
    const owned = ownedElsewhere(known.bookings.get(event.entityId), node, event);
    if (owned) return owned;
    if (event.op === "DELETE") return OK;
    const { resourceId } = event.payload as BookingPayload;
    const resource = known.resources.get(resourceId);
    return resource?.owner_node_id === node.id
      ? OK
      : refuse("OWNERSHIP_VIOLATION", `resource ${resourceId} is not owned by node ${node.id}`);
  },
  accept(node, event, known) {
    const before = known.bookings.get(event.entityId);
    const changed: AvailabilityRange[] = [];
    // The scope of a booking's resource as the log stands at this event (or as the hub had it).
    const sharedResource = (b: { resource_id: string; resource_scope: string | null }) =>
      isSharedScope(
        known.resources.get(b.resource_id)?.sharing_scope ?? b.resource_scope ?? undefined,
      );
    const wasShared = before !== undefined && sharedResource(before);
    if (event.op === "DELETE") {
      known.bookings.delete(event.entityId);
      if (before) {
        changed.push({
          resourceId: before.resource_id,
          from: before.starts_at,
          to: before.ends_at,
        });
      }
      return { targetNodeId: wasShared ? null : node.id, availability: changed };
    }
    const booking = event.payload as BookingPayload;
    const startsAt = new Date(booking.startsAt).toISOString();
    const endsAt = new Date(booking.endsAt).toISOString();
    if (before && before.resource_id !== booking.resourceId) {
      changed.push({ resourceId: before.resource_id, from: before.starts_at, to: before.ends_at });
    }
    const sameResource = before?.resource_id === booking.resourceId;
    changed.push({
      resourceId: booking.resourceId,
      from: sameResource && before.starts_at < startsAt ? before.starts_at : startsAt,
      to: sameResource && before.ends_at > endsAt ? before.ends_at : endsAt,
    });
    known.bookings.set(event.entityId, {
      id: event.entityId,
      owner_node_id: node.id,
      resource_id: booking.resourceId,
      starts_at: startsAt,
      ends_at: endsAt,
      resource_scope: known.resources.get(booking.resourceId)?.sharing_scope ?? null,
    });
    const nowShared = sharedResource({ resource_id: booking.resourceId, resource_scope: null });
    return { targetNodeId: wasShared || nowShared ? null : node.id, availability: changed };
  },
  async apply(session, node, finals) {
    // The rollup gains what the bookings count for after the writes, less what they did before.
    const ids = finals.map((e) => e.entityId);
    const before = await rollup.contributionsOfBookings(session, ids);
    await repo.upsertBookings(
      session,
      node.id,
      finals
        .filter((e) => e.op === "UPSERT")
        .map((e) => ({ id: e.entityId, booking: e.payload as BookingPayload })),
    );
    await repo.deleteBookings(
      session,
      node.id,
      finals.filter((e) => e.op === "DELETE").map((e) => e.entityId),
    );
    await rollup.addContributionDeltas(
      session,
      before,
      await rollup.contributionsOfBookings(session, ids),
    );
  },
};
