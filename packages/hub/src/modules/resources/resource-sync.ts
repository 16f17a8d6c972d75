import type { ResourcePayload } from "@maillage/schema";
import * as rollup from "../mutualisation/booking-rollup.repository.ts";
import * as resourceRollup from "../mutualisation/resource-rollup.repository.ts";
import {
  type EntityHandler,
  inNodeNetwork,
  OK,
  ownedElsewhere,
  refuse,
} from "../sync/push-handlers.ts";
import * as repo from "./resource-sync.repository.ts";

/**
 * RESOURCE and BOOKING as nodes push them: both owned by the resource's node. A resource is
 * hosted in its owner's network and is never deleted (RETIRED instead); a booking is a slot of
 * a resource its node owns.
 *
 * Routing (who reads them in the log): a LOCAL resource is its own network's business, and
 * each network has one node, its owner. So
 * - a RESOURCE event goes to every node (target NULL) when the resource is shared (NETWORK or
 *   NATIONAL) after the change, or was before it (the replicas learn it became LOCAL and drop
 *   it); otherwise it stays at the hub: logged addressed to its origin node, which ignores its
 *   own echo;
 * - a BOOKING event goes to every node when its resource is shared at that point of the log
 *   (or, for a booking moved between resources, either one is); otherwise it stays at the hub.
 * A resource that becomes shared (again) is sent whole, and the hub re-announces right after
 * it its CONFIRMED slots ending in the future, which stayed at the hub while it was LOCAL
 * (push.service.ts: origin = the owner node, seq NULL, target NULL).
 *
 * Writing bookings (and moving a resource to another space) also keeps network health's daily
 * booking rollup, and writing resources its resource rollup, in the same transaction
 * (mutualisation/booking-rollup.repository.ts, resource-rollup.repository.ts).
 */

export const isSharedScope = (scope: string | undefined | null): boolean =>
  scope === "NETWORK" || scope === "NATIONAL";

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
    const broadcast = isSharedScope(before?.sharing_scope) || isSharedScope(resource.sharingScope);
    known.resources.set(event.entityId, {
      id: event.entityId,
      owner_node_id: node.id,
      space_id: resource.spaceId,
      sharing_scope: resource.sharingScope,
      status: resource.status,
      windows: resource.windows,
      closures: resource.closures,
    });
    const sharedAnew =
      before !== undefined &&
      !isSharedScope(before.sharing_scope) &&
      isSharedScope(resource.sharingScope);
    return {
      targetNodeId: broadcast ? null : node.id,
      availability: scheduleChanged ? [{ resourceId: event.entityId, from: null, to: null }] : [],
      ...(sharedAnew ? { reannounceSlotsOf: event.entityId } : {}),
    };
  },
  async apply(session, node, finals) {
    const ids = finals.map((e) => e.entityId);
    // A resource hosted elsewhere takes its bookings' counts along (booking_rollup).
    const hosts = await rollup.hostsOf(session, ids);
    const moved = finals
      .filter((e) => {
        const host = hosts.get(e.entityId);
        return host !== undefined && host !== (e.payload as ResourcePayload).spaceId;
      })
      .map((e) => e.entityId);
    const before = await rollup.contributionsOfResources(session, moved);
    // What the resources count for in resource_rollup, before and after (whatever changed).
    const resourcesBefore = await resourceRollup.contributionsOfResources(session, ids);
    await repo.upsertResources(
      session,
      node.id,
      finals.map((e) => ({ id: e.entityId, resource: e.payload as ResourcePayload })),
    );
    await rollup.addContributionDeltas(
      session,
      before,
      await rollup.contributionsOfResources(session, moved),
    );
    await resourceRollup.addResourceDeltas(
      session,
      resourcesBefore,
      await resourceRollup.contributionsOfResources(session, ids),
    );
  },
};
