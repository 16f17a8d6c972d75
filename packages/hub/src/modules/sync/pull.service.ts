import { MAX_PULL_LIMIT, MaillageError, type PullResult } from "@maillage/schema";
import type { SqlStore } from "@maillage/storage";
import DataLoader from "dataloader";
import { createLogger, type Logger } from "../../logger.ts";
import { followPages } from "../../realtime/follow.ts";
import type { HubPubSub } from "../../realtime/pubsub.ts";
import { announce, nodeStatusEvent } from "../health/announce.ts";
import {
  CHANGE_LOG,
  type LogPage,
  type LogRead,
  moveOffsetsPast,
  readLogFor,
  readLogForMany,
  reportOffsetsMove,
} from "./change-log.repository.ts";
import { PULL_RECORD_EVERY_SECONDS, recordPull } from "./sync.repository.ts";

export type PullService = ReturnType<typeof createPullService>;

/**
 * How often a live follower records its pull (node.last_seen_at, the UPDATE of recordPull):
 * when the follow starts, then at its first read at least this long after the last record —
 * not on every wake-up, which at 400 followers meant 400 transactions per push anywhere.
 * A node is ONLINE while last_seen_at is under ONLINE_WITHIN_MS (2 minutes) old, which the
 * sweeper checks every 15 s. A follower reads at least every FOLLOW_POLL_MS (20 s) even when
 * nothing is appended, so its last_seen_at is never older than 30 + 20 s plus one read's
 * time: a following node never looks stale, with a minute of margin for a slow database.
 * (recordPull itself writes at most every 30 s per node, so a plain pull alongside the
 * follow, or a follow on another replica, writes no more.) Should the sweeper have marked the
 * node anyway (a hub paused longer than that), the batched read sees the stored liveness and
 * the follower records at once, announcing ONLINE again.
 */
export const FOLLOW_RECORD_EVERY_MS = PULL_RECORD_EVERY_SECONDS * 1000;

/**
 * The most followers one batched read answers: one statement returns at most this many pages
 * of up to `limit` (500) events each, which bounds its memory when every follower is behind.
 */
const FOLLOW_BATCH_MAX = 256;

/**
 * The most events one batched read returns in all (before batching, the pool of 10
 * connections held about 10 pages of 500 in flight): with many followers behind at once — a
 * hub restart, every agent reconnecting — each gets a smaller page (never under
 * FOLLOW_MIN_PAGE), says hasMore, and reads on; a caught-up follower's page is tiny anyway.
 */
const FOLLOW_BATCH_EVENTS = 5_000;
const FOLLOW_MIN_PAGE = 20;

/**
 * Reading the hub's log for one node: a page after its cursor (`pull`), or a live follow
 * (`follow`) that pulls again each time the pub/sub announces an append — or every
 * FOLLOW_POLL_MS should a wake-up be lost: the log, not the pub/sub, is the truth.
 */
export function createPullService(deps: {
  store: SqlStore;
  pubsub: HubPubSub;
  onLivenessChanged: (change: { nodeId: string; fabriqueId: string; previous: string }) => void;
  /**
   * Warns when a cursor ahead of the log moves its offsets (a hub restored from a backup);
   * the hub's logger, or its own at level warn.
   */
  logger?: Pick<Logger, "warn" | "error">;
  /** FOLLOW_BATCH_EVENTS unless a test sets it. */
  followBatchEvents?: number;
}) {
  const { store, pubsub } = deps;
  const logger = deps.logger ?? createLogger({ logLevel: "warn" });
  /** The nodes already reported for a cursor too far ahead to follow (once each per process). */
  const tooFarReported = new Set<string>();

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

  /**
   * Records a pull (last_seen_at, liveness; announced if the node comes back ONLINE). The
   * node must still be the fabrique's active node: a replaced or revoked node's token may
   * still sit in a replica's key cache for a few seconds.
   */
  async function record(nodeId: string): Promise<void> {
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
  }

  /**
   * A node read the log with a cursor beyond its head: the hub was restored from a backup
   * taken before the node's last pull, and the restored sequence would hand out again offsets
   * the node has passed (it skips events at or below its cursor). The log's offsets move past
   * the cursor (moveOffsetsPast, one statement, only then) and the node, answered normally,
   * receives every event appended afterwards. Warned once per move, with the node.
   */
  async function keepAheadOf(nodeId: string, after: string, page: LogPage): Promise<PullResult> {
    const { head, ...result } = page;
    const move = await moveOffsetsPast(store, CHANGE_LOG, after, head);
    reportOffsetsMove(
      logger,
      { cursorOf: "a node's", log: "log", who: "the node", details: { nodeId } },
      { cursor: after, head, move },
      { keys: tooFarReported, key: nodeId },
    );
    return result;
  }

  async function pull(nodeId: string, after: string, limit: number): Promise<PullResult> {
    checkCursor(after, limit);
    await record(nodeId);
    return keepAheadOf(nodeId, after, await readLogFor(store, nodeId, after, limit));
  }

  /**
   * The reads of live followers, batched: every follower an append wakes asks in the same
   * turn of the event loop (the fan-out hands the wake-up to 256 of them per turn, and the
   * batch waits for the next turn, setImmediate, so consecutive slices share it), and one
   * statement (readLogForMany) answers them all instead of one transaction and one read
   * each. Not cached: each call is a fresh read of the log.
   */
  const followReads = new DataLoader<LogRead, LogPage & { liveness: string }>(
    async (reads) => {
      const share = Math.max(
        FOLLOW_MIN_PAGE,
        Math.floor((deps.followBatchEvents ?? FOLLOW_BATCH_EVENTS) / reads.length),
      );
      const bounded = reads.map((r) => (r.limit > share ? { ...r, limit: share } : r));
      return (await readLogForMany(store, bounded)).map(
        (page) => page ?? new MaillageError("UNAUTHENTICATED", "unknown or revoked node"),
      );
    },
    {
      cache: false,
      maxBatchSize: FOLLOW_BATCH_MAX,
      batchScheduleFn: (dispatch) => setImmediate(dispatch),
    },
  );

  /**
   * Pages of the log as they come, from `after`; see followPages. The first read records
   * the pull (as `pull` does) and so does the first read every FOLLOW_RECORD_EVERY_MS; the
   * others are batched reads only. Every read, batched or not, still checks that the node is
   * its fabrique's active node, in the same statement as the page: a revoked or replaced
   * node's follow ends with UNAUTHENTICATED at its next wake-up, as before.
   */
  function follow(nodeId: string, after: string, limit = 500) {
    checkCursor(after, limit);
    let recordedAt: number | undefined;
    async function read(cursor: string): Promise<PullResult> {
      if (recordedAt === undefined || performance.now() - recordedAt >= FOLLOW_RECORD_EVERY_MS) {
        await record(nodeId);
        recordedAt = performance.now();
      }
      const { liveness, ...page } = await followReads.load({ nodeId, after: cursor, limit });
      if (liveness !== "ONLINE") {
        await record(nodeId);
        recordedAt = performance.now();
      }
      return keepAheadOf(nodeId, cursor, page);
    }
    return followPages(
      pubsub,
      "log:appended",
      after,
      read,
      (page, cursor) => page.events.length > 0 || page.cursor !== cursor,
    );
  }

  return { pull, follow };
}
