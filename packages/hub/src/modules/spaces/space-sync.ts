import type { Geography, SpacePayload } from "@maillage/schema";
import { moveSpaces } from "../mutualisation/space-moves.ts";
import {
  type EntityHandler,
  OK,
  ownedElsewhere,
  refuse,
  type Verdict,
} from "../sync/push-handlers.ts";
import { withSpaceRollups } from "./space-rollup.repository.ts";
import * as repo from "./space-sync.repository.ts";

/** SPACE as nodes push it: a fabrique's satellites, owned by its node. */

// Deleting what the hub never had (its creation was refused, say) changes nothing: accepted,
// so that an erasure can never block the node's outbox.

export function spaceHandler(geography: Geography): EntityHandler {
  function toSpaceWrite(id: string, space: SpacePayload, nodeId: string): repo.SpaceWrite {
    const commune = geography.requireCommune(space.communeCode);
    return {
      id,
      kind: space.kind,
      name: space.name,
      commune_code: commune.code,
      commune_name: commune.name,
      department_code: commune.departmentCode,
      region_code: commune.regionCode,
      population: commune.population,
      rural: commune.rural,
      services: space.services,
      opening_hours: space.openingHours,
      status: space.status,
      fabrique_id: space.fabriqueId,
      owner_node_id: nodeId,
    };
  }

  return {
    want(event, wanted) {
      wanted.spaces.add(event.entityId);
    },
    check(node, event, known): Verdict {
      const owned = ownedElsewhere(known.spaces.get(event.entityId), node, event);
      if (owned) return owned;
      if (event.op === "DELETE") return OK;
      const space = event.payload as SpacePayload;
      if (space.kind !== "SATELLITE" || space.fabriqueId !== node.fabrique_id) {
        return refuse(
          "OWNERSHIP_VIOLATION",
          `a node writes satellites of its own fabrique (${node.fabrique_id}) only`,
        );
      }
      if (!geography.commune(space.communeCode)) {
        return refuse("UNKNOWN_COMMUNE", `unknown INSEE code ${space.communeCode}`);
      }
      return OK;
    },
    accept(node, event, known) {
      known.spaces.set(event.entityId, {
        id: event.entityId,
        owner_node_id: node.id,
        fabrique_id:
          (event.payload as SpacePayload | null)?.fabriqueId ??
          known.spaces.get(event.entityId)?.fabrique_id ??
          null,
      });
      return { targetNodeId: null };
    },
    async apply(session, node, finals) {
      const writes = finals
        .filter((e) => e.op === "UPSERT")
        .map((e) => toSpaceWrite(e.entityId, e.payload as SpacePayload, node.id));
      // A satellite placed in another department takes its resources' and their bookings'
      // counts along (resource_rollup, booking_rollup). Its fabrique never changes here.
      const places = await repo.placesOf(
        session,
        writes.map((w) => w.id),
      );
      const moved = writes
        .filter((w) => {
          const place = places.get(w.id);
          return (
            place !== undefined &&
            (place.department_code !== w.department_code || place.region_code !== w.region_code)
          );
        })
        .map((w) => w.id);
      const closed = finals.filter((e) => e.op === "DELETE").map((e) => e.entityId);
      // Whatever a space counts for in coverage (created, changed, moved, closed) follows too
      // (space_rollup and its siblings).
      await withSpaceRollups(session, [...writes.map((w) => w.id), ...closed], async () => {
        await moveSpaces(session, moved, () => repo.upsertSpaces(session, writes));
        await repo.closeSpaces(session, closed);
      });
    },
  };
}
