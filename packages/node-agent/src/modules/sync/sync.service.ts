import { MaillageError } from "@maillage/schema";
import type { SqlStore } from "@maillage/storage";
import type { NodeIdentity } from "../../identity/identity.ts";
import { outboxRepository } from "../../outbox/outbox.repository.ts";
import {
  type HubConnection,
  readHubConnection,
  readSyncStatus,
  type SyncStatus,
} from "../../sync/status.ts";

/** The sync engine as the API sees it: its status, and the operator's retry of a refusal. */
export type SyncService = ReturnType<typeof createSyncService>;

export function createSyncService(deps: {
  store: SqlStore;
  identity: NodeIdentity;
  /** Wakes the push loop. */
  wake: () => void;
}) {
  return {
    status: (): Promise<SyncStatus> => readSyncStatus(deps.store, deps.identity),

    /** What `hubConnection` shows: the hub's reachability and the outbox's backlog. */
    connection: (): Promise<HubConnection> => readHubConnection(deps.store),

    /**
     * Sends a refused event again as it is (after the cause was fixed at the hub). The usual
     * way out is to change the record again: its new state replaces the refused event.
     */
    async retryPoisoned(seq: number): Promise<SyncStatus> {
      const cleared = await deps.store.transaction((tx) =>
        outboxRepository.clearRejection(tx, seq),
      );
      if (!cleared) {
        throw new MaillageError("NOT_FOUND", `no refused event with seq ${seq} in the outbox`, {
          seq,
        });
      }
      deps.wake();
      return readSyncStatus(deps.store, deps.identity);
    },
  };
}
