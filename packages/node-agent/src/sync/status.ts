import type { SqlSession } from "@maillage/storage";
import { outboxRepository } from "../outbox/outbox.repository.ts";
import { syncStateRepository } from "./sync-state.repository.ts";

/** An outbox event the hub refused: it blocks the outbox until its record changes again. */
export type PoisonedChange = {
  seq: number;
  code: string;
  message: string;
  entity: string;
  entityId: string;
};

/** What `maillage agent status`, /sync/status and the `syncStatus` query report. */
export type SyncStatus = {
  nodeId: string;
  fabriqueId: string;
  /** Events not yet applied at the hub. */
  outboxPending: number;
  oldestPendingAt: string | null;
  lastPushAt: string | null;
  lastPullAt: string | null;
  pullCursor: string;
  /** Null until the first exchange with the hub. */
  hubReachable: boolean | null;
  /** Age of the oldest event still waiting, in seconds (0 when the outbox is empty). */
  lagSeconds: number;
  poisoned: PoisonedChange | null;
  lastError: string | null;
  lastErrorAt: string | null;
};

export async function readSyncStatus(
  db: SqlSession,
  identity: { nodeId: string; fabriqueId: string },
  now: Date = new Date(),
): Promise<SyncStatus> {
  const state = await syncStateRepository.read(db);
  const pending = await outboxRepository.pendingStats(db);
  const poisoned = await outboxRepository.poisoned(db);
  const iso = (date: Date | null) => (date ? date.toISOString() : null);
  return {
    nodeId: identity.nodeId,
    fabriqueId: identity.fabriqueId,
    outboxPending: pending.count,
    oldestPendingAt: iso(pending.oldestAt),
    lastPushAt: iso(state.lastPushAt),
    lastPullAt: iso(state.lastPullAt),
    pullCursor: state.pullCursor,
    hubReachable: state.hubReachable,
    lagSeconds: pending.oldestAt
      ? Math.max(0, Math.round((now.getTime() - pending.oldestAt.getTime()) / 1000))
      : 0,
    poisoned: poisoned
      ? {
          seq: poisoned.seq,
          code: poisoned.rejectedCode ?? "",
          message: poisoned.rejectedMessage ?? "",
          entity: poisoned.entity,
          entityId: poisoned.entityId,
        }
      : null,
    lastError: state.lastError,
    lastErrorAt: iso(state.lastErrorAt),
  };
}

/** What the `hubConnection` query shows (any signed-in role): a part of SyncStatus. */
export type HubConnection = Pick<
  SyncStatus,
  "hubReachable" | "outboxPending" | "lastPushAt" | "lastPullAt"
>;

/** HubConnection's fields only: without readSyncStatus's look-up of a refused event. */
export async function readHubConnection(db: SqlSession): Promise<HubConnection> {
  const state = await syncStateRepository.read(db);
  const pending = await outboxRepository.pendingStats(db);
  return {
    hubReachable: state.hubReachable,
    outboxPending: pending.count,
    lastPushAt: state.lastPushAt ? state.lastPushAt.toISOString() : null,
    lastPullAt: state.lastPullAt ? state.lastPullAt.toISOString() : null,
  };
}
