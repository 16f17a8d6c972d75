import {
  type ChangeEvent,
  MaillageError,
  type PullResult,
  type PushResult,
} from "@maillage/schema";
import type { SqlStore } from "@maillage/storage";
import type { AgentConfig } from "../env.ts";
import type { NodeIdentity } from "../identity/identity.ts";
import type { NodeKey } from "../identity/keys.ts";
import { NODE_TOKEN_TTL_SECONDS, signNodeToken } from "../identity/tokens.ts";
import type { Logger } from "../logger.ts";
import type { Publication } from "../modules/resources/live.ts";
import { type OutboxEntry, outboxRepository } from "../outbox/outbox.repository.ts";
import { applyPullResult, CursorGapError } from "./apply.ts";
import { backoffDelay, rateLimitWait } from "./backoff.ts";
import type { ChangesFollower, HubClient } from "./hub-client.ts";
import { type PoisonedChange, readSyncStatus, type SyncStatus } from "./status.ts";
import { syncStateRepository } from "./sync-state.repository.ts";

/** A node token is renewed when it has less than this left (of NODE_TOKEN_TTL_SECONDS). */
const NODE_TOKEN_RENEW_SECONDS = 120;

/**
 * The sync engine: pushes the outbox to the hub and pulls the hub's log into the store.
 *
 * Push: unpushed events in seq order, in batches; the hub's `appliedThrough` is the truth
 * (events up to it are marked pushed, in one transaction); a gap is re-sent from the seq the
 * hub expects; a refused event is marked on its outbox row and blocks the outbox, visibly,
 * until the record changes again (or an operator retries it).
 * Pull: `pullChanges` after the stored cursor until caught up, each answer applied with its
 * cursor in one transaction; then the `changes` subscription, whose messages are applied the
 * same way; after any drop, pull again from the stored cursor and resubscribe.
 * Retry: capped exponential backoff with full jitter, on timers: a failed push or pull is
 * retried without waiting for a new local write. A local write wakes an idle push loop at
 * once (a loop in backoff keeps its timer: a hub that is down is not hammered by writes).
 * Rate limited (RATE_LIMITED, HTTP 429): the hub answered, so it is reachable and nothing is
 * wrong with the data; the push, the pull and the resubscription all wait what the hub
 * announced (rateLimitWait: at most 5 minutes, at least the usual backoff) before their next
 * request — the budget is the node's, so one refusal holds both loops. The refused batch stays
 * in the outbox and is sent again then.
 */
export type PushOutcome =
  | { kind: "idle"; pushed: number }
  | { kind: "blocked"; pushed: number; poisoned: PoisonedChange }
  | { kind: "failed"; pushed: number; error: Error }
  | { kind: "stopped"; pushed: number };

export type PullOutcome =
  | { kind: "caught-up"; applied: number; cursor: string }
  | { kind: "failed"; applied: number; error: Error }
  | { kind: "stopped"; applied: number };

export type SyncEngine = {
  /** Starts the push and pull loops (and the subscription). */
  start(): void;
  /** Stops the loops, aborts requests in flight, waits for a running transaction to end. */
  stop(): Promise<void>;
  /** A local write committed: push soon (unless the loop is waiting out a backoff). */
  wake(): void;
  /**
   * Pushes everything now (a rate limit's wait included); resolves when the outbox is empty,
   * blocked, or the hub failed.
   */
  flush(): Promise<PushOutcome>;
  /** Pulls until caught up with the hub's log (or until it fails). */
  pullNow(): Promise<PullOutcome>;
  status(): Promise<SyncStatus>;
  readonly running: boolean;
};

export type SyncEngineDeps = {
  store: SqlStore;
  identity: NodeIdentity;
  key: NodeKey;
  hub: HubClient;
  logger: Logger;
  settings: AgentConfig["sync"];
  /** `aud` of node tokens (the hub's audience). */
  audience: string;
  random?: () => number;
  /**
   * Runs after each pull answer committed, with what it changed (to publish live updates and
   * decide the booking requests it brought). Its failure is logged, never fails the pull.
   */
  onPulled?: ((publications: Publication[]) => Promise<void>) | undefined;
};

/** Serialises async runs: each starts when the previous one has settled. */
function serialised() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

function toEvent(nodeId: string, entry: OutboxEntry): ChangeEvent {
  return {
    id: entry.id,
    nodeId,
    seq: entry.seq,
    entity: entry.entity,
    entityId: entry.entityId,
    op: entry.op,
    payload: entry.payload,
    occurredAt: entry.occurredAt.toISOString(),
    schemaVersion: entry.schemaVersion,
  };
}

function describe(error: unknown): string {
  if (error instanceof MaillageError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

export function createSyncEngine(deps: SyncEngineDeps): SyncEngine {
  const { store, identity, key, hub, logger, settings } = deps;
  const log = logger.child({ component: "sync", nodeId: identity.nodeId });
  const random = deps.random ?? Math.random;
  // One token for a while rather than one per request: the hub verifies a token once and then
  // knows it (issue 13), so a new token is signed only when this one has less than
  // NODE_TOKEN_RENEW_SECONDS left.
  let current: { token: string; exp: number } | undefined;
  const nodeToken = async () => {
    const now = Date.now() / 1000;
    if (!current || current.exp - now < NODE_TOKEN_RENEW_SECONDS) {
      const token = await signNodeToken(identity, key, { audience: deps.audience });
      current = { token, exp: now + NODE_TOKEN_TTL_SECONDS };
    }
    return current.token;
  };
  const onSkipped = (err: unknown, event: { offset: string; entity: string; entityId: string }) =>
    log.warn(
      { err, offset: event.offset, entity: event.entity, entityId: event.entityId },
      "a pulled replica event could not be stored; skipped",
    );

  /** Applies one pull answer, then lets the agent react to what it changed. */
  async function applyAnswer(result: PullResult, after: string) {
    const done = await exclusiveApply(() =>
      applyPullResult(store, identity.nodeId, result, after, onSkipped),
    );
    if (deps.onPulled) {
      await deps.onPulled(done.publications).catch((err: unknown) => {
        log.error({ err }, "reacting to pulled changes failed");
      });
    }
    return done;
  }

  let running = false;
  let abort = new AbortController();
  const exclusivePush = serialised();
  const exclusivePull = serialised();
  /** Pull answers and subscription messages are applied one at a time, in arrival order. */
  const exclusiveApply = serialised();

  let pushTimer: NodeJS.Timeout | undefined;
  let pushAttempt = 0;
  let pushDriving = false;
  let pushAgain = false;

  let pullTimer: NodeJS.Timeout | undefined;
  let pullAttempt = 0;
  let follower: ChangesFollower | undefined;
  let followAttempt = 0;
  /** Date.now() before which no loop asks the hub: the end of its rate limit's announced wait. */
  let rateLimitedUntil = 0;

  async function recordFailure(error: unknown, what: "push" | "pull" | "subscription") {
    // A rate limit is the hub answering: reachable, and no fault of the data.
    const reachable = error instanceof MaillageError ? error.code !== "HUB_UNREACHABLE" : null; // ours: unknown
    const limited = rateLimitWait(error, 0, settings.backoff);
    const message =
      limited === undefined
        ? `${what}: ${describe(error)}`
        : `${what}: RATE_LIMITED: rate limited by the hub; next attempt in ${Math.ceil(limited / 1000)} s`;
    await syncStateRepository
      .recordError(store, message, reachable)
      .catch((err: unknown) => log.error({ err }, "cannot record the sync error"));
  }

  /**
   * For a RATE_LIMITED refusal, the wait before the next request (undefined for any other
   * failure); it holds both loops until it is over.
   */
  function rateLimitHold(error: unknown, backoffMs: number): number | undefined {
    const wait = rateLimitWait(error, backoffMs, settings.backoff);
    if (wait !== undefined) rateLimitedUntil = Math.max(rateLimitedUntil, Date.now() + wait);
    return wait;
  }

  /**
   * The wait after a loop's failed request: the rate limit's announced wait (`limited`: held
   * for every loop), else the backoff of the loop's `attempt`.
   */
  function retryDelay(error: unknown, attempt: number): { delay: number; limited: boolean } {
    const backoff = backoffDelay(attempt, settings.backoff, random);
    const wait = rateLimitHold(error, backoff);
    return { delay: wait ?? backoff, limited: wait !== undefined };
  }

  /** What is left of a rate limit's wait, in ms (0 when none). */
  const rateLimitLeft = () => Math.max(0, rateLimitedUntil - Date.now());

  // ---------------------------------------------------------------- push

  async function pushPending(): Promise<PushOutcome> {
    let pushed = 0;
    let expectedStart: number | undefined;
    for (;;) {
      if (abort.signal.aborted) return { kind: "stopped", pushed };
      const poisoned = await outboxRepository.poisoned(store);
      if (poisoned) {
        return {
          kind: "blocked",
          pushed,
          poisoned: {
            seq: poisoned.seq,
            code: poisoned.rejectedCode ?? "",
            message: poisoned.rejectedMessage ?? "",
            entity: poisoned.entity,
            entityId: poisoned.entityId,
          },
        };
      }
      const batch = await outboxRepository.unpushed(store, settings.pushBatch);
      const first = batch[0];
      if (!first) return { kind: "idle", pushed };
      if (expectedStart !== undefined && first.seq !== expectedStart) {
        const error = new MaillageError(
          "INTERNAL_SERVER_ERROR",
          `the hub expects seq ${expectedStart} but the outbox resumes at ${first.seq}`,
        );
        await recordFailure(error, "push");
        return { kind: "failed", pushed, error };
      }
      const stats = await outboxRepository.pendingStats(store);
      let result: PushResult;
      try {
        result = await hub.pushChanges(
          await nodeToken(),
          {
            events: batch.map((entry) => toEvent(identity.nodeId, entry)),
            // What will still wait once this batch is applied (the hub's lag estimate);
            // the oldest date is an upper bound while a backlog drains.
            pending: Math.max(0, stats.count - batch.length),
            oldestPendingAt:
              stats.count > batch.length ? (stats.oldestAt?.toISOString() ?? null) : null,
          },
          abort.signal,
        );
      } catch (error) {
        if (abort.signal.aborted) return { kind: "stopped", pushed };
        await recordFailure(error, "push");
        return { kind: "failed", pushed, error: error as Error };
      }
      const maxSeq = await outboxRepository.maxSeq(store);
      if (result.appliedThrough > maxSeq) {
        // Marking our events as applied would lose them: the hub would skip them as duplicates.
        const error = new MaillageError(
          "INTERNAL_SERVER_ERROR",
          `the hub has applied this node's events up to seq ${result.appliedThrough}, ` +
            `but this outbox ends at ${maxSeq}: was the agent's store restored from a backup?`,
        );
        log.error({ appliedThrough: result.appliedThrough, maxSeq }, error.message);
        await recordFailure(error, "push");
        return { kind: "failed", pushed, error };
      }
      // Nothing at or after a refused seq counts as applied: a SEQ_CONFLICT answers with the
      // hub's appliedThrough past the refused seq (the hub holds other events under those seqs,
      // from before this agent's store was restored), and marking ours applied would lose them.
      const appliedThrough = result.rejected
        ? Math.min(result.appliedThrough, result.rejected.seq - 1)
        : result.appliedThrough;
      await store.transaction(async (tx) => {
        await outboxRepository.recordAppliedThrough(tx, appliedThrough);
        if (result.rejected) {
          await outboxRepository.recordRejection(
            tx,
            result.rejected.seq,
            result.rejected.code,
            result.rejected.message,
          );
        }
        await syncStateRepository.recordPush(tx);
      });
      pushed += result.applied;
      log.debug(
        {
          from: first.seq,
          to: batch.at(-1)?.seq,
          appliedThrough: result.appliedThrough,
          applied: result.applied,
          duplicates: result.duplicates,
        },
        "pushed",
      );
      if (result.rejected) {
        log.warn({ rejected: result.rejected }, "the hub refused an event; the outbox is blocked");
        continue; // the next round sees the poisoned event and reports it
      }
      if (result.expectedSeq !== null) {
        log.info(
          { expectedSeq: result.expectedSeq, sentFrom: first.seq },
          "the hub reported a gap; resending from the seq it expects",
        );
        expectedStart = result.expectedSeq;
        continue;
      }
      expectedStart = undefined;
      if (result.appliedThrough < first.seq) {
        const error = new MaillageError(
          "INTERNAL_SERVER_ERROR",
          `the hub applied nothing of seq ${first.seq}.. and gave no reason`,
        );
        await recordFailure(error, "push");
        return { kind: "failed", pushed, error };
      }
    }
  }

  function schedulePush(delayMs: number) {
    clearTimeout(pushTimer);
    pushTimer = setTimeout(() => {
      pushTimer = undefined;
      void drivePush();
    }, delayMs);
  }

  function settlePush(outcome: PushOutcome) {
    if (outcome.kind === "failed") {
      const { delay, limited } = retryDelay(outcome.error, pushAttempt);
      if (limited) {
        log.warn({ retryInMs: delay }, "push rate limited by the hub; waiting as it asks");
      } else {
        pushAttempt += 1;
        log.warn({ attempt: pushAttempt, retryInMs: delay, err: outcome.error }, "push failed");
      }
      if (running) schedulePush(delay);
      return;
    }
    pushAttempt = 0;
    if (outcome.kind !== "stopped") {
      clearTimeout(pushTimer);
      pushTimer = undefined;
    }
  }

  async function drivePush(): Promise<void> {
    if (!running) return;
    const held = rateLimitLeft();
    if (held > 0) {
      schedulePush(held);
      return;
    }
    if (pushDriving) {
      pushAgain = true;
      return;
    }
    pushDriving = true;
    try {
      let outcome: PushOutcome;
      do {
        pushAgain = false;
        outcome = await exclusivePush(pushPending);
      } while (pushAgain && running && outcome.kind !== "failed");
      settlePush(outcome);
    } catch (error) {
      // A store failure (not the hub's): retry like a failed push.
      log.error({ err: error }, "push loop error");
      settlePush({ kind: "failed", pushed: 0, error: error as Error });
    } finally {
      pushDriving = false;
    }
  }

  // ---------------------------------------------------------------- pull

  async function pullPending(): Promise<PullOutcome> {
    let applied = 0;
    for (;;) {
      if (abort.signal.aborted) return { kind: "stopped", applied };
      const { pullCursor } = await syncStateRepository.read(store);
      try {
        const result = await hub.pullChanges(
          await nodeToken(),
          { after: pullCursor, limit: settings.pullLimit },
          abort.signal,
        );
        if (abort.signal.aborted) return { kind: "stopped", applied };
        const done = await applyAnswer(result, pullCursor);
        applied += done.applied;
        if (!result.hasMore) return { kind: "caught-up", applied, cursor: done.cursor };
      } catch (error) {
        if (abort.signal.aborted) return { kind: "stopped", applied };
        if (error instanceof CursorGapError) continue; // the stored cursor moved: read it again
        await recordFailure(error, "pull");
        return { kind: "failed", applied, error: error as Error };
      }
    }
  }

  function schedulePull(delayMs: number) {
    clearTimeout(pullTimer);
    pullTimer = setTimeout(() => {
      pullTimer = undefined;
      void drivePull();
    }, delayMs);
  }

  async function drivePull(): Promise<void> {
    if (!running) return;
    const held = rateLimitLeft();
    if (held > 0) {
      schedulePull(held);
      return;
    }
    let outcome: PullOutcome;
    try {
      outcome = await exclusivePull(pullPending);
    } catch (error) {
      log.error({ err: error }, "pull loop error");
      outcome = { kind: "failed", applied: 0, error: error as Error };
    }
    if (!running || outcome.kind === "stopped") return;
    if (outcome.kind === "failed") {
      const { delay, limited } = retryDelay(outcome.error, pullAttempt);
      if (limited) {
        log.warn({ retryInMs: delay }, "pull rate limited by the hub; waiting as it asks");
      } else {
        pullAttempt += 1;
        log.warn({ attempt: pullAttempt, retryInMs: delay, err: outcome.error }, "pull failed");
      }
      schedulePull(delay);
      return;
    }
    pullAttempt = 0;
    if (settings.subscribe && !follower) await follow();
    // A periodic pull even while subscribed: a safety net for a silently stalled socket.
    if (!pullTimer) schedulePull(settings.pollIntervalMs);
  }

  /** Follows the hub's log live from the stored cursor; any end leads back to a pull. */
  async function follow(): Promise<void> {
    const { pullCursor } = await syncStateRepository.read(store);
    if (!running || follower) return;
    let after = pullCursor;
    const startedAt = Date.now();
    const current: ChangesFollower = hub.followChanges(after, nodeToken, {
      onConnected: () => log.debug({ after }, "following the hub's log"),
      onResult: async (result) => {
        const done = await applyAnswer(result, after);
        after = done.cursor;
        followAttempt = 0;
      },
      onEnd: (error) => {
        if (follower === current) follower = undefined;
        if (!running) return;
        // A subscription that lived a while was healthy: its end (e.g. the node token's
        // expiry, every few minutes) starts the backoff afresh.
        if (Date.now() - startedAt > settings.backoff.capMs) followAttempt = 0;
        // Refused for the rate limit: resubscribe (through a pull) once its wait is over.
        const { delay, limited } = retryDelay(error, followAttempt);
        if (!limited) followAttempt += 1;
        if (limited) {
          log.warn({ retryInMs: delay }, "the subscription was rate limited by the hub");
          void recordFailure(error, "subscription");
        } else if (error) {
          log.warn({ err: error, retryInMs: delay }, "the subscription to the hub ended");
          void recordFailure(error, "subscription");
        } else {
          log.debug({ retryInMs: delay }, "the subscription to the hub closed");
        }
        // Catch up from the stored cursor, then subscribe again.
        schedulePull(delay);
      },
    });
    follower = current;
  }

  return {
    get running() {
      return running;
    },

    start() {
      if (running) return;
      running = true;
      abort = new AbortController();
      void drivePush();
      void drivePull();
    },

    async stop() {
      running = false;
      abort.abort();
      clearTimeout(pushTimer);
      clearTimeout(pullTimer);
      pushTimer = undefined;
      pullTimer = undefined;
      follower?.close();
      follower = undefined;
      // Let the runs in flight end (their requests are aborted; a transaction finishes).
      await Promise.allSettled([
        exclusivePush(async () => undefined),
        exclusivePull(async () => undefined),
        exclusiveApply(async () => undefined),
      ]);
    },

    wake() {
      if (!running || pushTimer) return;
      void drivePush();
    },

    async flush() {
      if (abort.signal.aborted && !running) abort = new AbortController();
      const outcome = await exclusivePush(pushPending);
      if (running) settlePush(outcome);
      return outcome;
    },

    async pullNow() {
      if (abort.signal.aborted && !running) abort = new AbortController();
      return exclusivePull(pullPending);
    },

    status: () => readSyncStatus(store, identity),
  };
}
