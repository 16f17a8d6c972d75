import type { BookingPayload, ResourcePayload } from "@maillage/schema";
import {
  type AvailabilityRange,
  type EntityHandler,
  inNodeNetwork,
  OK,
  ownedElsewhere,
  refuse,
} from "../sync/push-handlers.ts";
import * as repo from "./booking.repository.ts";

/**
 * RESOURCE and BOOKING as nodes push them: both owned by the resource's node and sent to
 * every node (discovery, availability). A resource is hosted in its owner's network and is
 * never deleted (RETIRED instead); a booking is a slot of a resource its node owns.
 */

/** JSON with sorted keys: jsonb does not keep the key order a payload was written with. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

export const resourceHandler: EntityHandler = {
  want(event, wanted) {
    wanted.resources.add(event.entityId);
    if (event.op === "UPSERT") wanted.spaces.add((event.payload as ResourcePayload).spaceId);
  },
  check(node, event, known) {
    if (event.op === "DELETE") {
      return refuse("INVALID_EVENT", "a resource is never deleted: send it RETIRED");
    }
    const owned = ownedElsewhere(known.resources.get(event.entityId), node, event);
    if (owned) return owned;
    const { spaceId } = event.payload as ResourcePayload;
    return inNodeNetwork(node, spaceId, known)
      ? OK
      : refuse("OWNERSHIP_VIOLATION", `space ${spaceId} is not in this node's network`);
  },
  accept(node, event, known) {
    const resource = event.payload as ResourcePayload;
    const before = known.resources.get(event.entityId);
    const scheduleChanged =
      before === undefined ||
      before.status !== resource.status ||
      canonical(before.windows) !== canonical(resource.windows) ||
      canonical(before.closures) !== canonical(resource.closures);
    known.resources.set(event.entityId, {
      id: event.entityId,
      owner_node_id: node.id,
      space_id: resource.spaceId,
      sharing_scope: resource.sharingScope,
      status: resource.status,
      windows: resource.windows,
      closures: resource.closures,
    });
    return {
      targetNodeId: null,
      availability: scheduleChanged ? [{ resourceId: event.entityId, from: null, to: null }] : [],
    };
  },
  async apply(session, node, finals) {
    await repo.upsertResources(
      session,
      node.id,
      finals.map((e) => ({ id: e.entityId, resource: e.payload as ResourcePayload })),
    );
  },
};

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
    if (event.op === "DELETE") {
      known.bookings.delete(event.entityId);
      if (before) {
        changed.push({
          resourceId: before.resource_id,
          from: before.starts_at,
          to: before.ends_at,
        });
      }
      return { targetNodeId: null, availability: changed };
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
    });
    return { targetNodeId: null, availability: changed };
  },
  async apply(session, node, finals) {
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
  },
};
