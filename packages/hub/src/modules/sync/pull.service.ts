import { MAX_PULL_LIMIT, MaillageError, type PullResult } from "@maillage/schema";
import type { SqlStore } from "@maillage/storage";
import type { HubPubSub } from "../../realtime/pubsub.ts";
import { readLogFor } from "./change-log.repository.ts";
import { recordPull } from "./sync.repository.ts";

/** How long a live follower sleeps without a wake-up before it looks at the log anyway. */
const FOLLOW_POLL_MS = 20_000;

export type PullService = ReturnType<typeof createPullService>;

/**
 * Reading the hub's log for one node: a page after its cursor (`pull`), or a live follow
 * (`follow`) that pulls again each time the pub/sub announces an append — or every
 * FOLLOW_POLL_MS should a wake-up be lost: the log, not the pub/sub, is the truth.
 */
export function createPullService(deps: {
  store: SqlStore;
  pubsub: HubPubSub;
  onLivenessChanged: (change: { nodeId: string; fabriqueId: string; previous: string }) => void;
}) {
  const { store, pubsub } = deps;

  function checkCursor(after: string, limit: number) {
    if (!/^\d{1,19}$/.test(after)) {
      throw new MaillageError("BAD_USER_INPUT", "after: a log offset (decimal digits)", {
        field: "after",
      });
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PULL_LIMIT) {
      throw new MaillageError("BAD_USER_INPUT", `limit: 1 to ${MAX_PULL_LIMIT}`, {
        field: "limit",
      });
    }
  }

  async function pull(nodeId: string, after: string, limit: number): Promise<PullResult> {
    checkCursor(after, limit);
    // The node must still be the fabrique's active node: a replaced or revoked node's token
    // may still sit in a replica's key cache for a few seconds.
    const seen = await recordPull(store, nodeId);
    if (!seen) throw new MaillageError("UNAUTHENTICATED", "unknown or revoked node");
    if (seen.previousLiveness !== "ONLINE") {
      deps.onLivenessChanged({
        nodeId,
        fabriqueId: seen.fabriqueId,
        previous: seen.previousLiveness,
      });
    }
    const page = await readLogFor(store, nodeId, after, limit);
    return page;
  }

  async function* follow(nodeId: string, after: string, limit = 500): AsyncGenerator<PullResult> {
    checkCursor(after, limit);
    const wakeups = pubsub.subscribe("log:appended")[Symbol.asyncIterator]();
    let wakeup = wakeups.next();
    let cursor = after;
    try {
      while (true) {
        const page = await pull(nodeId, cursor, limit);
        if (page.events.length > 0 || page.cursor !== cursor) {
          cursor = page.cursor;
          yield page;
        }
        if (page.hasMore) continue;
        let timer: NodeJS.Timeout | undefined;
        const woken = await Promise.race([
          wakeup.then(() => true),
          new Promise<false>((resolve) => {
            timer = setTimeout(() => resolve(false), FOLLOW_POLL_MS);
          }),
        ]);
        clearTimeout(timer);
        if (woken) wakeup = wakeups.next();
      }
    } finally {
      await wakeups.return?.();
    }
  }

  return { pull, follow };
}
