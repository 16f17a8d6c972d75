import { MaillageError } from "@maillage/schema";
import { createPubSub } from "graphql-yoga";
import type { Viewer } from "../../context.ts";
import type { BookingRequestRecord } from "../bookings/booking-request.repository.ts";
import type { MobilityPublication, MobilityTopics } from "../mobility/live.ts";
import type { TrainingPublication, TrainingTopics } from "../trainings/live.ts";
import type { BookingRecord } from "./resource.repository.ts";

/**
 * Live updates at the agent: one in-process pub/sub per agent, handed to resolvers through the
 * context. Services publish after their transaction committed (never from inside it), and so
 * does the sync engine after a pull (replicas, incoming requests, decisions received).
 */
export type BookingUpdate = {
  resourceId: string;
  /** A booking or loan of this node's resources that changed, or null. */
  booking: BookingRecord | null;
  /** A booking request (incoming or outgoing) that changed, or null. */
  request: BookingRequestRecord | null;
};

/**
 * A resource's availability changed somewhere in [from, to): a booking or loan of it. Both null
 * when the change is not limited to a range: its windows, closures or status changed, or its
 * replica came, went or moved to another owner.
 */
export type AvailabilityChange = {
  resourceId: string;
  from: Date | null;
  to: Date | null;
  updatedAt: Date;
};

export type ResourceTopics = {
  bookingUpdated: [BookingUpdate];
  resourceAvailabilityChanged: [AvailabilityChange];
} & TrainingTopics &
  MobilityTopics;

export function createResourcePubSub() {
  return createPubSub<ResourceTopics>();
}
export type ResourcePubSub = ReturnType<typeof createResourcePubSub>;

export type Publication =
  | { topic: "bookingUpdated"; update: BookingUpdate }
  | { topic: "resourceAvailabilityChanged"; change: AvailabilityChange }
  | TrainingPublication
  | MobilityPublication;

/** Collects what a transaction changed, to publish once it has committed. */
export class Publications {
  readonly items: Publication[] = [];

  booking(booking: BookingRecord): this {
    this.items.push({
      topic: "bookingUpdated",
      update: { resourceId: booking.resourceId, booking, request: null },
    });
    return this.availability(booking.resourceId, booking.from, booking.to);
  }

  request(request: BookingRequestRecord): this {
    this.items.push({
      topic: "bookingUpdated",
      update: { resourceId: request.resourceId, booking: null, request },
    });
    return this;
  }

  /** The availability of a resource changed over [from, to); null and null: at any time. */
  availability(resourceId: string, from: Date | null, to: Date | null): this {
    this.items.push({
      topic: "resourceAvailabilityChanged",
      change: { resourceId, from, to, updatedAt: new Date() },
    });
    return this;
  }
}

/**
 * Whether a pull brought the automatic decider work: an incoming request stored PENDING, or a
 * confirmed one the requester withdrew. Replicas, decisions received and the rest do not.
 */
export function bringsDecisions(items: readonly Publication[]): boolean {
  return items.some(
    (item) =>
      item.topic === "bookingUpdated" &&
      item.update.request?.direction === "INCOMING" &&
      (item.update.request.status === "PENDING" || item.update.request.cancelRequested),
  );
}

export function publishAll(pubsub: ResourcePubSub, items: readonly Publication[]): void {
  for (const item of items) {
    if (item.topic === "bookingUpdated") pubsub.publish("bookingUpdated", item.update);
    else if (item.topic === "resourceAvailabilityChanged") {
      pubsub.publish("resourceAvailabilityChanged", item.change);
    } else if (item.topic === "enrolmentUpdated") pubsub.publish("enrolmentUpdated", item.update);
    else if (item.topic === "visitRecorded") pubsub.publish("visitRecorded", item.visit);
    else pubsub.publish("trainingSeatsChanged", item.training);
  }
}

/**
 * Who sees a booking update: the fabrique's team all of them, a satellite those for its own
 * space, a member its own (booked for them).
 */
export function canSeeUpdate(viewer: Viewer, update: BookingUpdate): boolean {
  if (viewer.role === "FABRIQUE_ADMIN") return true;
  const subject = update.booking ?? update.request;
  if (!subject) return false;
  if (viewer.role === "SATELLITE") return subject.forSpace === viewer.spaceId;
  return viewer.role === "MEMBER" && subject.forMember === viewer.memberId;
}

/**
 * Follows `source`, keeping what `keep` allows, and ends when the token expires (exp, seconds
 * since the epoch): a subscription never outlives the token that opened it.
 *
 * An iterator object rather than an async generator: a generator waiting for the source's next
 * item cannot run its `finally` until that item comes, so a client leaving a quiet topic would
 * leave its expiry timer (up to the token's lifetime) and the source's subscription behind.
 * Here `return()` ends both at once, and the pending `next()` settles as done.
 */
export function untilExpiry<T>(
  source: AsyncIterable<T>,
  exp: number,
  keep: (item: T) => boolean,
): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const remaining = exp * 1000 - Date.now();
  let timer: NodeJS.Timeout | undefined;
  let stop: (reason: "ended") => void = () => {};
  const ended = new Promise<"ended">((resolve) => {
    stop = resolve;
    if (remaining > 0) timer = setTimeout(() => resolve("ended"), Math.min(remaining, 2 ** 31 - 1));
  });
  let finished: Promise<void> | undefined;
  const finish = () => {
    finished ??= (async () => {
      clearTimeout(timer);
      stop("ended");
      await iterator.return?.();
    })();
    return finished;
  };
  const done = { done: true, value: undefined } as const;
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<T>> {
      if (remaining <= 0 && !finished) {
        await finish();
        throw new MaillageError("UNAUTHENTICATED", "the token has expired");
      }
      for (;;) {
        if (finished) return done;
        const next = await Promise.race([iterator.next(), ended]);
        if (next === "ended" || next.done) {
          await finish();
          return done;
        }
        if (keep(next.value)) return next;
      }
    },
    async return(): Promise<IteratorResult<T>> {
      await finish();
      return done;
    },
  };
}
