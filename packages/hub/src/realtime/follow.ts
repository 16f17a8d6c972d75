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
): Repeater<P> {
  return new Repeater<P>(async (push, stop) => {
    const wakeups = subscribeLatest(pubsub, topic, 1);
    let cursor = after;
    let stopped = false;
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
