import {
  type ActivityPayload,
  activityEntityId,
  type ChangeEvent,
  type Geography,
  isFutureDate,
  type MemberPayload,
  type SpacePayload,
} from "@maillage/schema";
import { applyActivity } from "../activity/activity.repository.ts";
import { type EntityHandler, OK, ownedElsewhere, refuse, type Verdict } from "./push-handlers.ts";
import * as repo from "./sync.repository.ts";

/** The registry entities a node writes: its satellites, its members, their activity. */

/** "<spaceId>:<YYYY-MM-DD>" → its parts. */
export function splitActivityId(entityId: string): { spaceId: string; day: string } | undefined {
  const match = /^(.+):(\d{4}-\d{2}-\d{2})$/.exec(entityId);
  return match?.[1] && match[2] ? { spaceId: match[1], day: match[2] } : undefined;
}

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
      await repo.upsertSpaces(
        session,
        finals
          .filter((e) => e.op === "UPSERT")
          .map((e) => toSpaceWrite(e.entityId, e.payload as SpacePayload, node.id)),
      );
      await repo.closeSpaces(
        session,
        finals.filter((e) => e.op === "DELETE").map((e) => e.entityId),
      );
    },
  };
}

export const memberHandler: EntityHandler = {
  want(event, wanted) {
    wanted.members.add(event.entityId);
    if (event.op === "UPSERT") wanted.spaces.add((event.payload as MemberPayload).homeSpaceId);
  },
  check(node, event, known) {
    const owned = ownedElsewhere(known.members.get(event.entityId), node, event);
    if (owned) return owned;
    if (event.op === "DELETE") return OK;
    const { homeSpaceId } = event.payload as MemberPayload;
    const home = known.spaces.get(homeSpaceId);
    const inNetwork =
      homeSpaceId === node.fabrique_id ||
      (home !== undefined &&
        home.fabrique_id === node.fabrique_id &&
        home.owner_node_id === node.id);
    return inNetwork
      ? OK
      : refuse("OWNERSHIP_VIOLATION", `home space ${homeSpaceId} is not in this node's network`);
  },
  accept(node, event, known) {
    known.members.set(event.entityId, {
      id: event.entityId,
      owner_node_id: node.id,
      fabrique_id: null,
    });
    return { targetNodeId: null };
  },
  async apply(session, node, finals) {
    await repo.upsertMembers(
      session,
      finals
        .filter((e) => e.op === "UPSERT")
        .map((e) => ({
          id: e.entityId,
          home_space_id: (e.payload as MemberPayload).homeSpaceId,
          owner_node_id: node.id,
        })),
    );
    await repo.deleteMembers(
      session,
      finals.filter((e) => e.op === "DELETE").map((e) => e.entityId),
    );
  },
};

export const activityHandler: EntityHandler = {
  want(event, wanted) {
    const key = splitActivityId(event.entityId);
    if (key) wanted.reports.push(key);
    if (event.op === "UPSERT") wanted.spaces.add((event.payload as ActivityPayload).spaceId);
  },
  check(node, event, known) {
    const owned = ownedElsewhere(known.reports.get(event.entityId), node, event);
    if (owned) return owned;
    if (event.op === "DELETE") return OK;
    const report = event.payload as ActivityPayload;
    if (event.entityId !== activityEntityId(report.spaceId, report.date)) {
      return refuse("INVALID_EVENT", "an activity report's id is <spaceId>:<date>");
    }
    if (isFutureDate(report.date)) {
      return refuse("INVALID_EVENT", `${report.date} is in the future`);
    }
    const space = known.spaces.get(report.spaceId);
    const inNetwork =
      report.spaceId === node.fabrique_id ||
      (space !== undefined && space.owner_node_id === node.id);
    return inNetwork
      ? OK
      : refuse("OWNERSHIP_VIOLATION", `space ${report.spaceId} is not in this node's network`);
  },
  accept(node, event, known) {
    known.reports.set(event.entityId, {
      id: event.entityId,
      owner_node_id: node.id,
      fabrique_id: null,
    });
    return { targetNodeId: null };
  },
  async apply(session, node, finals: ChangeEvent[]) {
    const changes: { spaceId: string; day: string; report: ActivityPayload | null }[] = [];
    for (const event of finals) {
      const key = splitActivityId(event.entityId);
      if (key)
        changes.push({
          ...key,
          report: event.op === "DELETE" ? null : (event.payload as ActivityPayload),
        });
    }
    await applyActivity(session, node.id, changes);
  },
};
