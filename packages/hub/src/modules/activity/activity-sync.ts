import {
  type ActivityPayload,
  activityEntityId,
  type ChangeEvent,
  isFutureDate,
} from "@maillage/schema";
import { type EntityHandler, OK, ownedElsewhere, refuse } from "../sync/push-handlers.ts";
import { applyActivity } from "./activity.repository.ts";

/** ACTIVITY as nodes push it: one report per space and day, owned by the space's node. */

/** "<spaceId>:<YYYY-MM-DD>" → its parts. */
export function splitActivityId(entityId: string): { spaceId: string; day: string } | undefined {
  const match = /^(.+):(\d{4}-\d{2}-\d{2})$/.exec(entityId);
  return match?.[1] && match[2] ? { spaceId: match[1], day: match[2] } : undefined;
}

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
