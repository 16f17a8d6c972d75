/**
 * One GraphQL execution per event for every subscriber of the same audience, not one per
 * subscriber.
 *
 * graphql-ws runs a subscription per socket: its subscribe phase (auth scopes, the field's
 * `subscribe` with its argument checks) and then, for every event, an execution of the
 * selection (resolvers, Pothos' wrappers, scope checks) and the serialisation of the result.
 * With 5,000 dashboards subscribed to the same document, that was 5,000 executions of the same
 * event giving the same answer. Here subscribers whose share key (below) is equal join one
 * shared execution: its ExecutionResult object is handed to each of them, and graphql-ws
 * sends it on every socket as before.
 *
 * What stays per subscriber:
 * - the subscribe phase: every subscriber still runs `subscribe` (so FORBIDDEN, NOT_FOUND or
 *   BAD_USER_INPUT at subscribe time are its own, as before), and a joiner's own stream, never
 *   started, is returned when it leaves (its pub/sub wait only starts on a first `next()`);
 * - its socket: token expiry (`closeAtExpiry` in app.ts), /logout, and slow-consumer dropping
 *   (`dropSlowConsumers`) close one socket, which ends that subscriber only;
 * - its queue: each subscriber keeps at most MEMBER_QUEUE results it has not read yet (the
 *   newest; a client that does not read is dropped at the socket before that matters).
 *
 * The share key is (the printed document, the operation name, the variables in canonical
 * JSON, the viewer's audience): `operationKeyOf` and `audienceOf` (graphql/audience.ts, where
 * the audience is explained). The subscription filters and the resolvers of their types read
 * `role` and `fabriqueId` only (canSeeBookingUpdate, memberIdFor, canSeeEnrolment,
 * canSeeTraining, canSeeResourceOf, canSeeVisit, the networkEvents territory, visibleSpaces).
 * `shared-execution.test.ts` checks where `.sub` is read.
 *
 * Which fields share (SUBSCRIPTION_SHARING, every Subscription field listed; a field missing
 * there never shares): those whose stream starts "from now on" and whose events are filtered
 * by the audience and the arguments only. A cursor feed (`changes`, `networkEvents`) is per
 * subscriber even with equal variables: a subscriber joining later would miss what the shared
 * stream already read past its cursor, and a slow one would lose events its cursor passed.
 */
import { type ExecutionArgs, type ExecutionResult, getOperationAST, Kind } from "graphql";
import type { Viewer } from "../context.ts";
import { audienceOf, documentTextOf, operationKeyOf } from "../graphql/audience.ts";
import { deliverInSlices } from "./fanout.ts";

/** How a subscription field may share its execution. */
export type Sharing =
  /** Its stream starts now; events are filtered by the audience and the arguments. */
  | "shared"
  /** Per subscriber, always. */
  | "never";

/** Every field of the hub's Subscription type and how it shares (checked against the schema). */
export const SUBSCRIPTION_SHARING: Readonly<Record<string, Sharing>> = {
  bookingUpdated: "shared",
  changes: "never",
  enrolmentUpdated: "shared",
  // A cursor feed, with or without `after`: its follower waits for a slow reader (the
  // Repeater's push) and loses nothing, where a shared stream's MEMBER_QUEUE would drop the
  // oldest events of a reader that fell 256 behind, its cursor already past them.
  networkEvents: "never",
  nodeStatusChanged: "shared",
  resourceAvailabilityChanged: "shared",
  spaceChanged: "shared",
  trainingSeatsChanged: "shared",
  visitRecorded: "shared",
};

/** Results a subscriber may leave unread before the oldest is dropped (as subscribeLatest). */
export const MEMBER_QUEUE = 256;

/**
 * The share key of a subscription, or null when it must run alone: an operation that is not
 * a subscription of one plain root field listed as shareable, arguments that do not coerce,
 * a context without a viewer (not the hub's).
 */
export function shareKeyOf(args: ExecutionArgs): string | null {
  const operation = getOperationAST(args.document, args.operationName);
  if (operation?.operation !== "subscription") return null;
  const [root, ...others] = operation.selectionSet.selections;
  if (!root || others.length > 0 || root.kind !== Kind.FIELD) return null;
  if (root.directives && root.directives.length > 0) return null;
  const sharing = SUBSCRIPTION_SHARING[root.name.value];
  if (sharing === undefined || sharing === "never") return null;
  const context = args.contextValue as { viewer?: Viewer | null } | undefined;
  if (context?.viewer === undefined) return null;
  return operationKeyOf(
    documentTextOf(args.document),
    args.operationName,
    args.variableValues,
    audienceOf(context.viewer),
  );
}

type Stream = AsyncIterable<ExecutionResult> & AsyncIterator<ExecutionResult>;
type Subscribed = Stream | ExecutionResult;

/** One subscriber of a shared execution: an async generator graphql-ws iterates. */
class Member implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: ExecutionResult[] = [];
  private waiting: ((result: IteratorResult<ExecutionResult>) => void) | undefined;
  private failWaiting: ((error: unknown) => void) | undefined;
  private ended: { error?: unknown } | undefined;
  private left = false;

  constructor(private readonly onLeave: () => Promise<void>) {}

  push(result: ExecutionResult): void {
    if (this.ended) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      this.failWaiting = undefined;
      waiting({ value: result, done: false });
      return;
    }
    this.queue.push(result);
    if (this.queue.length > MEMBER_QUEUE) this.queue.shift();
  }

  /** The shared execution ended (its stream completed or failed): after the queue, done. */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = error === undefined ? {} : { error };
    const waiting = this.waiting;
    const fail = this.failWaiting;
    this.waiting = undefined;
    this.failWaiting = undefined;
    if (error !== undefined && fail) {
      this.ended = {};
      fail(error);
    } else waiting?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const value = this.queue.shift();
    if (value !== undefined) return Promise.resolve({ value, done: false });
    if (this.ended) {
      const { error } = this.ended;
      this.ended = {};
      return error === undefined
        ? Promise.resolve({ value: undefined, done: true })
        : Promise.reject(error);
    }
    if (this.waiting) return Promise.reject(new Error("next() while a next() is pending"));
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.queue.length = 0;
    this.end();
    if (!this.left) {
      this.left = true;
      await this.onLeave();
    }
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/** One execution of a subscription and the subscribers it serves. */
class SharedExecution {
  readonly members = new Set<Member>();
  private closed = false;

  constructor(
    private readonly upstream: Stream,
    private readonly onClosed: () => void,
    private readonly countExecution: () => void,
  ) {}

  /** A subscriber; `own` is its own (unstarted) stream, returned when it leaves. */
  join(own: Stream | undefined): Member {
    const member = new Member(async () => {
      await Promise.all([own?.return?.(), this.leave(member)]);
    });
    this.members.add(member);
    return member;
  }

  start(): void {
    void (async () => {
      try {
        for (;;) {
          const next = await this.upstream.next();
          if (next.done || this.closed) break;
          this.countExecution();
          await this.deliver(next.value);
        }
        this.close();
      } catch (error) {
        this.close(error);
      }
    })();
  }

  private async leave(member: Member): Promise<void> {
    if (!this.members.delete(member) || this.members.size > 0 || this.closed) return;
    this.close();
    await this.upstream.return?.();
  }

  private close(error?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.onClosed();
    for (const member of this.members) member.end(error);
    this.members.clear();
  }

  /** Hands a result to every member, in slices (deliverInSlices). */
  private deliver(result: ExecutionResult): Promise<void> {
    return deliverInSlices(this.members, (member) => member.push(result));
  }
}

/** The shared executions of one hub. */
export class SharedExecutions {
  private readonly executions = new Map<string, SharedExecution>();
  private executed = 0;

  /**
   * What graphql-ws's `subscribe` returns for `args`: `subscribeOne(args)` (the hub's
   * enveloped subscribe) runs for every subscriber; its stream becomes the shared execution
   * of its key when there is none yet, and is otherwise only kept to be returned.
   */
  async subscribe(
    args: ExecutionArgs,
    subscribeOne: (args: ExecutionArgs) => Promise<Subscribed> | Subscribed,
  ): Promise<Subscribed> {
    const key = shareKeyOf(args);
    const own = await subscribeOne(args);
    if (key === null || !isStream(own)) return own;
    const existing = this.executions.get(key);
    if (existing) return existing.join(own);
    const execution: SharedExecution = new SharedExecution(
      own,
      () => {
        if (this.executions.get(key) === execution) this.executions.delete(key);
      },
      () => {
        this.executed++;
      },
    );
    this.executions.set(key, execution);
    const member = execution.join(undefined);
    execution.start();
    return member;
  }

  /** Shared executions and their subscribers now, and events executed so far. */
  stats(): { executions: number; subscribers: number; executed: number } {
    let subscribers = 0;
    for (const execution of this.executions.values()) subscribers += execution.members.size;
    return { executions: this.executions.size, subscribers, executed: this.executed };
  }
}

function isStream(value: Subscribed): value is Stream {
  return (
    typeof (value as Partial<Stream>)[Symbol.asyncIterator] === "function" &&
    typeof (value as Partial<Stream>).next === "function"
  );
}

const byPubSub = new WeakMap<object, SharedExecutions>();

/**
 * The shared executions of a hub, keyed by its pub/sub (one per hub, as `fanoutOf`): made on
 * first use, kept as long as the pub/sub.
 */
export function sharedExecutionsOf(pubsub: object): SharedExecutions {
  let shared = byPubSub.get(pubsub);
  if (!shared) {
    shared = new SharedExecutions();
    byPubSub.set(pubsub, shared);
  }
  return shared;
}
