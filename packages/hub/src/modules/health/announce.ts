import type { Space } from "../../generated/prisma/client.ts";
import type { Sql } from "../sync/change-log.repository.ts";
import {
  appendNetworkEvents,
  monthTotals,
  type NewNetworkEvent,
} from "./network-events.repository.ts";

/** The feed's entries for the changes the hub applies, written in the same transaction. */

export function spaceEvent(
  kind: "SPACE_CREATED" | "SPACE_UPDATED" | "SPACE_CLOSED",
  space: Pick<
    Space,
    | "id"
    | "name"
    | "kind"
    | "fabriqueId"
    | "regionCode"
    | "departmentCode"
    | "communeName"
    | "rural"
  >,
): NewNetworkEvent {
  return {
    kind,
    networkId: space.fabriqueId ?? space.id,
    payload: {
      spaceId: space.id,
      name: space.name,
      spaceKind: space.kind,
      communeName: space.communeName,
      departmentCode: space.departmentCode,
      regionCode: space.regionCode,
      rural: space.rural,
    },
  };
}

export function nodeStatusEvent(change: {
  nodeId: string;
  fabriqueId: string;
  status: string;
  previous: string;
}): NewNetworkEvent {
  return {
    kind: "NODE_STATUS",
    networkId: change.fabriqueId,
    payload: { nodeId: change.nodeId, liveness: change.status, previous: change.previous },
  };
}

/** One entry per push that brought activity: what arrived, and the month's updated totals. */
export async function activityArrival(
  sql: Sql,
  networkId: string,
  reports: { spaceId: string; day: string }[],
): Promise<NewNetworkEvent | undefined> {
  if (reports.length === 0) return undefined;
  const days = reports.map((r) => r.day).sort();
  const latest = days.at(-1) as string;
  return {
    kind: "ACTIVITY",
    networkId,
    payload: {
      reports: reports.length,
      spaces: new Set(reports.map((r) => r.spaceId)).size,
      from: days[0],
      to: latest,
      territory: await monthTotals(sql, "FABRIQUE", networkId, latest),
      nation: await monthTotals(sql, "NATION", "FR", latest),
    },
  };
}

export async function announce(sql: Sql, events: (NewNetworkEvent | undefined)[]): Promise<void> {
  await appendNetworkEvents(
    sql,
    events.filter((e): e is NewNetworkEvent => e !== undefined),
  );
}
