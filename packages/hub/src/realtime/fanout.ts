/**
 * In-process fan-out: one upstream subscription per pub/sub topic, however many local
 * subscribers listen to it, and a delivery that never runs inside the publisher's call.
 *
 * Without it every subscriber held its own listener on the pub/sub's event target (5,000
 * listeners for 5,000 sockets, Node's MaxListenersExceededWarning), and each event was handed
 * to all of them synchronously, inside the `publish` of the mutation that announced it: the
 * mutation was answered only after the broadcast. Here the event is queued, then handed to the
 * subscribers in slices of DELIVERY_SLICE, each slice in its own turn of the event loop, so
 * that requests (the triggering mutation's own) and socket writes run between slices. Every
 * subscriber gets the same event object, in publication order: resolvers can memoise what
 * they load per event (see `loadOncePerEvent`).
 */

/** How many subscribers get an event in one turn of the event loop. */
export const DELIVERY_SLICE = 256;

type Listener = (event: unknown) => void;

/** One topic's upstream subscription and its local listeners. */
class TopicFanout {
  readonly listeners = new Set<Listener>();
  private upstream: AsyncIterator<unknown> | undefined;
  private readonly pending: unknown[] = [];
  private delivering = false;

  constructor(private readonly open: () => AsyncIterator<unknown>) {}

  add(listener: Listener): () => void {
    this.listeners.add(listener);
    if (!this.upstream) this.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  get upstreams(): number {
    return this.upstream ? 1 : 0;
  }

  private start() {
    const upstream = this.open();
    this.upstream = upstream;
    void (async () => {
      for (;;) {
        const next = await upstream.next();
        // A later start replaced this upstream: its events are that one's to deliver.
        if (next.done || this.upstream !== upstream) return;
        this.pending.push(next.value);
        if (!this.delivering) this.deliver();
      }
    })();
  }

  private stop() {
    const upstream = this.upstream;
    this.upstream = undefined;
    this.pending.length = 0;
    void upstream?.return?.();
  }

  /** Hands the queued events on in order, one slice of listeners per turn of the event loop. */
  private deliver() {
    this.delivering = true;
    const event = this.pending.shift();
    // Never inside the publisher's call: the first slice waits for the next turn too.
    setImmediate(() => {
      void deliverInSlices(this.listeners, (listener) => listener(event)).then(() => {
        if (this.pending.length > 0) this.deliver();
        else this.delivering = false;
      });
    });
  }
}

/**
 * Hands something to every member of a set, DELIVERY_SLICE members per turn of the event loop,
 * the first slice at once. A snapshot is walked: a member arriving meanwhile waits for the
 * next delivery, one that left since the snapshot gets nothing more.
 */
export function deliverInSlices<T>(
  members: ReadonlySet<T>,
  give: (member: T) => void,
): Promise<void> {
  const snapshot = [...members];
  let from = 0;
  return new Promise((resolve) => {
    const slice = () => {
      const to = Math.min(from + DELIVERY_SLICE, snapshot.length);
      for (; from < to; from++) {
        const member = snapshot[from] as T;
        if (members.has(member)) give(member);
      }
      if (from < snapshot.length) setImmediate(slice);
      else resolve();
    };
    slice();
  });
}

/** The fan-outs of one pub/sub, by topic. */
export class Fanout {
  private readonly topics = new Map<string, TopicFanout>();

  constructor(private readonly subscribe: (topic: string) => AsyncIterable<unknown>) {}

  /** Calls `listener` with every event of `topic` until the returned function is called. */
  listen(topic: string, listener: Listener): () => void {
    let fanout = this.topics.get(topic);
    if (!fanout) {
      fanout = new TopicFanout(() => this.subscribe(topic)[Symbol.asyncIterator]());
      this.topics.set(topic, fanout);
    }
    return fanout.add(listener);
  }

  /** Upstream subscriptions and local listeners held now (what tests and metrics count). */
  stats(): { upstreams: number; listeners: number } {
    let upstreams = 0;
    let listeners = 0;
    for (const fanout of this.topics.values()) {
      upstreams += fanout.upstreams;
      listeners += fanout.listeners.size;
    }
    return { upstreams, listeners };
  }
}

const fanouts = new WeakMap<object, Fanout>();

/**
 * The fan-out of a pub/sub: made on first use and kept as long as the pub/sub itself (a cache
 * keyed by the instance, so every hub, and every test's pub/sub, has its own).
 */
export function fanoutOf(pubsub: { subscribe(topic: never): AsyncIterable<unknown> }): Fanout {
  let fanout = fanouts.get(pubsub);
  if (!fanout) {
    const subscribe = pubsub.subscribe.bind(pubsub) as (topic: string) => AsyncIterable<unknown>;
    fanout = new Fanout(subscribe);
    fanouts.set(pubsub, fanout);
  }
  return fanout;
}

const loads = new WeakMap<object, Map<string, Promise<unknown>>>();

/**
 * What a subscription's resolvers load for an event, loaded once for every subscriber of this
 * replica that selects the same (`key`: e.g. the Prisma selection), not once per subscriber.
 * Keyed by the event object the fan-out hands to all of them; forgotten with the event.
 * A failed load is not kept: the next subscriber tries again.
 */
export function loadOncePerEvent<T>(
  event: object,
  key: string,
  load: () => Promise<T>,
): Promise<T> {
  let byKey = loads.get(event);
  if (!byKey) {
    byKey = new Map();
    loads.set(event, byKey);
  }
  const known = byKey.get(key);
  if (known) return known as Promise<T>;
  const loading = load();
  byKey.set(key, loading);
  loading.catch(() => {
    if (byKey.get(key) === loading) byKey.delete(key);
  });
  return loading;
}
