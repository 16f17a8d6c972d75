import { SCHEMA_VERSION, type SpacePayload } from "@maillage/schema";
import { ulid } from "ulid";
import type { Space } from "../../generated/prisma/client.ts";
import type { LogEntry } from "../sync/change-log.repository.ts";

/** A space's replicated state, as the sync contract carries it. */
export function spacePayload(space: Space): SpacePayload {
  return {
    kind: space.kind,
    fabriqueId: space.fabriqueId,
    name: space.name,
    communeCode: space.communeCode,
    services: space.services,
    openingHours: space.openingHours as SpacePayload["openingHours"],
    status: space.status,
  };
}

/**
 * A log entry for a change the hub itself made (a fabrique registered by the national body, a
 * satellite registered before its fabrique had a node), or a handover addressed to one node.
 */
export function hubSpaceEvent(space: Space, targetNodeId: string | null = null): LogEntry {
  return {
    eventId: ulid(),
    originNodeId: null,
    seq: null,
    entity: "SPACE",
    entityId: space.id,
    op: "UPSERT",
    payload: spacePayload(space),
    occurredAt: new Date().toISOString(),
    schemaVersion: SCHEMA_VERSION,
    targetNodeId,
  };
}

/** A pseudonymous member handed over to its home node at (re-)enrolment. */
export function memberHandoverEvent(
  member: { id: string; homeSpaceId: string },
  targetNodeId: string,
): LogEntry {
  return {
    eventId: ulid(),
    originNodeId: null,
    seq: null,
    entity: "MEMBER",
    entityId: member.id,
    op: "UPSERT",
    payload: { homeSpaceId: member.homeSpaceId },
    occurredAt: new Date().toISOString(),
    schemaVersion: SCHEMA_VERSION,
    targetNodeId,
  };
}
