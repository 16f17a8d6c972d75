import type { Client, ClientOptions, Sink } from "graphql-ws";
import { afterEach, describe, expect, it, vi } from "vitest";
import { graphql } from "./hub-graphql.ts";
import { subscribeWithCursor } from "./hub-ws.ts";

const Feed = graphql(`
  subscription Feed($after: String) {
    networkEvents(after: $after) {
      cursor
      kind
    }
  }
`);

/** A fake graphql-ws: records each connection's options and subscription, lets the test drive them. */
function fakeSockets() {
  const sockets: { options: ClientOptions; variables: unknown; sink: Sink; disposed: boolean }[] =
    [];
  const createClient = (options: ClientOptions): Client => {
    const socket = {
      options,
      variables: undefined as unknown,
      sink: undefined as unknown as Sink,
      disposed: false,
    };
    sockets.push(socket);
    return {
      subscribe: (payload: { variables?: unknown }, sink: Sink) => {
        socket.variables = payload.variables;
        socket.sink = sink;
        return () => {};
      },
      dispose: () => {
        socket.disposed = true;
      },
    } as unknown as Client;
  };
  return { sockets, createClient };
}

describe("hub subscriptions resume from their cursor", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("resubscribes after the last cursor when the socket drops, dropping replays", () => {
    vi.useFakeTimers();
    const { sockets, createClient } = fakeSockets();
    const received: string[] = [];
    let reconnected = 0;
    const stop = subscribeWithCursor(
      Feed,
      (data) => data.networkEvents,
      { next: (e) => received.push(e.cursor), reconnected: () => reconnected++ },
      { createClient: createClient as never, url: "ws://127.0.0.1/graphql" },
    );
    const first = sockets[0];
    expect(first?.variables).toEqual({ after: null });
    first?.options.on?.connected?.({} as never, undefined, false);
    first?.sink.next({ data: { networkEvents: { cursor: "10", kind: "ACTIVITY" } } });
    first?.sink.next({ data: { networkEvents: { cursor: "11", kind: "ACTIVITY" } } });
    // the socket closes abnormally: a retry after the backoff, from cursor 11
    first?.sink.error({ code: 1006 } as never);
    expect(first?.disposed).toBe(true);
    vi.advanceTimersByTime(2000);
    const second = sockets[1];
    expect(second?.variables).toEqual({ after: "11" });
    second?.options.on?.connected?.({} as never, undefined, false);
    expect(reconnected).toBe(1);
    second?.sink.next({ data: { networkEvents: { cursor: "11", kind: "ACTIVITY" } } });
    second?.sink.next({ data: { networkEvents: { cursor: "12", kind: "MOBILITY" } } });
    expect(received).toEqual(["10", "11", "12"]);
    stop();
    expect(second?.disposed).toBe(true);
  });

  it("stops on a refused subscription (GraphQL errors) instead of retrying", () => {
    vi.useFakeTimers();
    const { sockets, createClient } = fakeSockets();
    const errors: string[] = [];
    subscribeWithCursor(
      Feed,
      (data) => data.networkEvents,
      { next: () => {}, error: (e) => errors.push(e.code) },
      { createClient: createClient as never, url: "ws://127.0.0.1/graphql" },
    );
    sockets[0]?.sink.error([{ message: "no", extensions: { code: "FORBIDDEN" } }] as never);
    vi.advanceTimersByTime(60_000);
    expect(errors).toEqual(["FORBIDDEN"]);
    expect(sockets).toHaveLength(1);
  });
});
