import { MAX_PULL_LIMIT, MaillageError, type PullResult } from "@maillage/schema";
import type { SqlStore } from "@maillage/storage";
import { followPages } from "../../realtime/follow.ts";
import type { HubPubSub } from "../../realtime/pubsub.ts";
import { announce, nodeStatusEvent } from "../health/announce.ts";
import { readLogFor } from "./change-log.repository.ts";
import { recordPull } from "./sync.repository.ts";

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
    const seen = await store.transaction(async (tx) => {
      const touched = await recordPull(tx, nodeId);
      if (touched && touched.previousLiveness !== "ONLINE") {
        await announce(tx, [
          nodeStatusEvent({
            nodeId,
            fabriqueId: touched.fabriqueId,
            status: "ONLINE",
            previous: touched.previousLiveness,
          }),
        ]);
      }
      return touched;
    });
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

  /** Pages of the log as they come, from `after`; see followPages. */
  function follow(nodeId: string, after: string, limit = 500) {
    checkCursor(after, limit);
    return followPages(
      pubsub,
      "log:appended",
      after,
      (cursor) => pull(nodeId, cursor, limit),
      (page, cursor) => page.events.length > 0 || page.cursor !== cursor,
    );
  }

  return { pull, follow };
}
