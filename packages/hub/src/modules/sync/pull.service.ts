import { MAX_PULL_LIMIT, MaillageError, type PullResult } from "@maillage/schema";
import type { SqlStore } from "@maillage/storage";
import { Repeater } from "graphql-yoga";
import { type HubPubSub, subscribeLatest } from "../../realtime/pubsub.ts";
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

  /**
   * Pages of the log as they come, from `after`. A Repeater rather than an async generator,
   * so that a client going away stops the loop at once, even while it waits.
   */
  function follow(nodeId: string, after: string, limit = 500): Repeater<PullResult> {
    checkCursor(after, limit);
    return new Repeater<PullResult>(async (push, stop) => {
      // Wake-ups are idempotent: keeping the latest one is enough.
      const wakeups = subscribeLatest(pubsub, "log:appended", 1);
      let cursor = after;
      let stopped = false;
      stop.then(() => {
        stopped = true;
        void wakeups.return();
      });
      try {
        while (!stopped) {
          const page = await pull(nodeId, cursor, limit);
          if (stopped) break;
          if (page.events.length > 0 || page.cursor !== cursor) {
            cursor = page.cursor;
            await push(page);
          }
          if (page.hasMore) continue;
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            wakeups.next(),
            stop,
            new Promise<void>((resolve) => {
              timer = setTimeout(resolve, FOLLOW_POLL_MS);
            }),
          ]);
          clearTimeout(timer);
        }
      } catch (error) {
        stop(error);
        return;
      } finally {
        void wakeups.return();
      }
      stop();
    });
  }

  return { pull, follow };
}
