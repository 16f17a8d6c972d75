import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub, Repeater, SlidingBuffer } from "graphql-yoga";
import { Redis } from "ioredis";
import type { Logger } from "../logger.ts";
import { fanoutOf } from "./fanout.ts";

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

/**
 * A booking request was created, withdrawn or decided: the request as both teams see it.
 * Instants are ISO strings (the event crosses Redis as JSON). Carries the member's
 * pseudonymous id: resolvers hide it from NATIONAL.
 */
export type BookingUpdateEvent = {
  requestId: string;
  resourceId: string;
  requesterNodeId: string;
  ownerNodeId: string;
  cancelled: boolean;
  bookingId: string | null;
  requestedAt: string;
  decidedAt: string | null;
  kind: string;
  status: string;
  reason: string | null;
  reasonCode: string | null;
  startsAt: string;
  endsAt: string;
  forMemberId: string | null;
  forSpaceId: string | null;
  requesterFabriqueId: string;
  ownerFabriqueId: string;
  loan: {
    status: string;
    holderSpaceId: string;
    checkedOutAt: string | null;
    returnedAt: string | null;
  } | null;
  updatedAt: string;
};

/**
 * A resource's availability changed over [from, to) (null: any time — its windows, closures
 * or status changed). `sharingScope` and `networkId` (the owner's fabrique) address it.
 */
export type AvailabilityChangedEvent = {
  resourceId: string;
  from: string | null;
  to: string | null;
  updatedAt: string;
  sharingScope: string;
  networkId: string;
};

/**
 * A training's state as discovery shows it, after a TRAINING event (its seats included).
 * Instants are ISO strings (the event crosses Redis as JSON); `scope` and `networkId` (the
 * organiser's fabrique) address it.
 */
export type TrainingChangedEvent = {
  id: string;
  ownerNodeId: string;
  spaceId: string;
  title: string;
  topic: string;
  tags: string[];
  description: string | null;
  venueSpaceId: string | null;
  onlineUrl: string | null;
  startsAt: string;
  endsAt: string;
  seriesId: string | null;
  capacity: number;
  minimum: number;
  decisionAt: string | null;
  scope: string;
  prerequisites: string[];
  grantsType: string | null;
  grantsValidityDays: number | null;
  trainerName: string | null;
  cancelDeadlineMinutes: number;
  offerHours: number | null;
  status: string;
  cancelReasonCode: string | null;
  taken: number;
  waitlisted: number;
  attended: number;
  noShow: number;
  createdAt: string;
  updatedAt: string;
  networkId: string;
  venueNetworkId: string | null;
};

/**
 * An enrolment the organiser wrote (ENROLMENT), as the hub holds it. Carries the member's
 * pseudonymous id: resolvers hide it from NATIONAL. `organiserNetworkId` (the training's
 * fabrique) and `memberNetworkId` (the member's home fabrique) address it.
 */
export type EnrolmentUpdateEvent = {
  id: string;
  trainingId: string;
  memberId: string;
  status: string;
  position: number | null;
  offerExpiresAt: string | null;
  reasonCode: string | null;
  reason: string | null;
  credentialId: string | null;
  requestedAt: string;
  updatedAt: string;
  organiserNetworkId: string;
  memberNetworkId: string | null;
  /** The training's scope: the national body hears of NATIONAL trainings' places only. */
  trainingScope: string;
};

/**
 * A visit the hub wrote (VISIT), as it holds it: pseudonymous member id (null once erased).
 * Instants are ISO strings; `homeNetworkId` and `networkId` (the home and visited places'
 * fabriques) address it to those teams only.
 */
export type VisitRecordedEvent = {
  id: string;
  memberId: string | null;
  homeSpaceId: string;
  spaceId: string;
  day: string;
  arrivedAt: string;
  departedAt: string | null;
  method: string;
  homeNetworkId: string;
  networkId: string;
};

export type HubPubSubTopics = {
  "space:changed": [SpaceChangedEvent];
  /** The hub's log grew: live pull followers look again. Carries nothing: the log is the truth. */
  "log:appended": [];
  "node:status": [NodeStatusEvent];
  /** The national feed (network_event) grew. Carries nothing: the table is the truth. */
  "network:appended": [];
  "booking:updated": [BookingUpdateEvent];
  "resource:availability": [AvailabilityChangedEvent];
  "training:changed": [TrainingChangedEvent];
  "enrolment:updated": [EnrolmentUpdateEvent];
  "visit:recorded": [VisitRecordedEvent];
};

export type HubPubSub = ReturnType<typeof createPubSub<HubPubSubTopics>>;

/**
 * One typed pub/sub per hub. With Redis every replica hears every event; without it,
 * events stay in this process (a single-replica hub). Pub/sub only wakes subscribers: the
 * database stays the truth, so a failed publish (Redis down) is logged, never fatal.
 */
export function createHubPubSub(
  redisUrl: string | undefined,
  logger: Logger,
): {
  pubsub: HubPubSub;
  /**
   * Follows whether this replica hears every other replica's events: `false` when its Redis
   * subscription connection closes (what is published meanwhile never arrives), `true` once
   * it is back with its channels subscribed again. Never called without Redis: one process
   * misses nothing (start from `!redisUrl`).
   */
  onHearingChange(listener: (hearing: boolean) => void): void;
  close(): Promise<void>;
} {
  if (!redisUrl) {
    return {
      pubsub: createPubSub<HubPubSubTopics>(),
      onHearingChange: () => {},
      close: async () => {},
    };
  }
  const options = { maxRetriesPerRequest: 3 };
  const publishClient = new Redis(redisUrl, options);
  const subscribeClient = new Redis(redisUrl, options);
  for (const client of [publishClient, subscribeClient]) {
    client.on("error", (err: Error) => logger.warn({ err }, "redis connection error"));
  }
  // The event target does not handle a failed publish; an unhandled rejection would end the
  // process. A lost wake-up only delays followers until their next poll; a lost space change
  // leaves other replicas' cached registry answers for at most their 60 s
  // (modules/spaces/registry-cache.ts).
  const safePublisher = new Proxy(publishClient, {
    get(target, property, receiver) {
      if (property !== "publish") return Reflect.get(target, property, receiver);
      return (channel: string, message: string) =>
        target.publish(channel, message).catch((err: unknown) => {
          logger.warn({ err, channel }, "redis publish failed");
          return 0;
        });
    },
  });
  const eventTarget = createRedisEventTarget({ publishClient: safePublisher, subscribeClient });
  return {
    pubsub: createPubSub<HubPubSubTopics>({ eventTarget }),
    onHearingChange: (listener) => {
      subscribeClient.on("close", () => listener(false));
      // ioredis announces "ready" after re-sending the SUBSCRIBE of every channel; a PING
      // answered after them means they are in force again.
      subscribeClient.on("ready", () => {
        subscribeClient.ping().then(
          () => listener(true),
          () => {}, // closed again: "close" said so
        );
      });
    },
    async close() {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}

/**
 * Subscribes to a topic without ever letting a slow consumer pile events up: the subscriber's
 * queue is a sliding buffer that keeps the newest `keep` events. (A plain subscription queues
 * every event for a stalled client and throws past 1,024 of them.) Every subscriber of a topic
 * shares one upstream subscription and its in-process fan-out (`fanoutOf`): no listener per
 * subscriber on the event target, delivery outside the publisher's call, the same event
 * object for every subscriber (resolvers memoise their loads per event).
 */
export function subscribeLatest<Topic extends keyof HubPubSubTopics>(
  pubsub: HubPubSub,
  topic: Topic,
  keep: number,
): Repeater<HubPubSubTopics[Topic][0]> {
  return new Repeater<HubPubSubTopics[Topic][0]>(async (push, stop) => {
    const leave = fanoutOf(pubsub).listen(topic, (event) => {
      void push(event as HubPubSubTopics[Topic][0]);
    });
    await stop;
    leave();
  }, new SlidingBuffer(keep));
}

/**
 * Calls `listener` for every event of a topic for as long as the hub runs, on its own
 * subscription (outside the fan-out, whose counts follow the clients'). Returns the stop.
 */
export function listenWhileRunning<Topic extends keyof HubPubSubTopics>(
  pubsub: HubPubSub,
  topic: Topic,
  listener: (event: HubPubSubTopics[Topic][0]) => void,
): () => void {
  const subscribe = pubsub.subscribe as (topic: string) => AsyncIterableIterator<unknown>;
  const events = subscribe(topic) as AsyncIterableIterator<HubPubSubTopics[Topic][0]>;
  void (async () => {
    for await (const event of events) listener(event);
  })();
  return () => void events.return?.();
}
