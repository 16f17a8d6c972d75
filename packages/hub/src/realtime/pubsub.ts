import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub } from "graphql-yoga";
import { Redis } from "ioredis";

/** What a space change announces; subscribers filter by the network they may see. */
export type SpaceChangedEvent = {
  spaceId: string;
  /** The fabrique whose network the space belongs to (itself for a fabrique). */
  networkId: string;
  change: "CREATED" | "UPDATED" | "CLOSED";
};

/** A node's liveness changed (ONLINE, STALE, SILENT). */
export type NodeStatusEvent = {
  nodeId: string;
  fabriqueId: string;
  status: string;
  previous: string;
};

export type HubPubSubTopics = {
  "space:changed": [SpaceChangedEvent];
  /** The hub's log grew: live pull followers look again. Carries nothing: the log is the truth. */
  "log:appended": [];
  "node:status": [NodeStatusEvent];
};

export type HubPubSub = ReturnType<typeof createPubSub<HubPubSubTopics>>;

/**
 * One typed pub/sub per hub. With Redis every replica hears every event; without it,
 * events stay in this process (a single-replica hub). Pub/sub only wakes subscribers: the
 * database stays the truth.
 */
export function createHubPubSub(redisUrl: string | undefined): {
  pubsub: HubPubSub;
  close(): Promise<void>;
} {
  if (!redisUrl) return { pubsub: createPubSub<HubPubSubTopics>(), close: async () => {} };
  const publishClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const eventTarget = createRedisEventTarget({ publishClient, subscribeClient });
  return {
    pubsub: createPubSub<HubPubSubTopics>({ eventTarget }),
    async close() {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
