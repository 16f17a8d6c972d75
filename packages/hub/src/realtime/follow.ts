import { Repeater } from "graphql-yoga";
import { type HubPubSub, subscribeLatest } from "./pubsub.ts";

/** How long a live follower sleeps without a wake-up before it reads anyway. */
export const FOLLOW_POLL_MS = 20_000;

export type Page = { cursor: string; hasMore: boolean };

/**
 * Follows an ordered table live: reads a page after the cursor, hands it on when it moved,
 * then waits for the topic's wake-up (or FOLLOW_POLL_MS, should one be lost: the table is the
 * truth). A Repeater rather than an async generator, so that a client going away stops the
 * loop at once, even while it waits; wake-ups are idempotent, so only the latest is kept.
 */
export function followPages<P extends Page>(
  pubsub: HubPubSub,
  topic: "log:appended" | "network:appended",
  after: string,
  read: (cursor: string) => Promise<P>,
  isNews: (page: P, cursor: string) => boolean,
  pollMs = FOLLOW_POLL_MS,
): Repeater<P> {
  return new Repeater<P>(async (push, stop) => {
    const wakeups = subscribeLatest(pubsub, topic, 1);
    let cursor = after;
    let stopped = false;
    // The one wait for a wake-up, kept across polls: asking `wakeups.next()` again after a
    // poll timed out would leave the first request pending, and it would swallow the next
    // wake-up unseen (the follower then heard of an append only at its next poll).
    let wakeup: Promise<unknown> | undefined;
    stop.then(() => {
      stopped = true;
      void wakeups.return();
    });
    try {
      while (!stopped) {
        const page = await read(cursor);
        if (stopped) break;
        if (isNews(page, cursor)) {
          cursor = page.cursor;
          await push(page);
        }
        if (page.hasMore) continue;
        let timer: NodeJS.Timeout | undefined;
        wakeup ??= wakeups.next().finally(() => {
          wakeup = undefined;
        });
        await Promise.race([
          wakeup,
          stop,
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, pollMs);
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
