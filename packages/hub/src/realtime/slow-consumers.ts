import type { WebSocket, WebSocketServer } from "ws";

/**
 * The close code of a socket dropped because its client did not read fast enough
 * (1013 "Try Again Later": graphql-ws clients reconnect, and a live follower resumes from
 * its cursor).
 */
export const WS_SLOW_CONSUMER = 1013;

/**
 * Bytes a socket may hold unsent (`ws`'s bufferedAmount: its own queue and the kernel's
 * refusals) before the next message closes it. Far above what a reading client ever holds
 * (an event is a few hundred bytes), far below what 10,000 stalled clients could pin.
 */
export const MAX_BUFFERED_BYTES = 256 * 1024;

/** After the close frame, how long a client that still does not read keeps its socket. */
export const SLOW_CONSUMER_GRACE_MS = 5_000;

type SendCallback = (error?: Error) => void;

/**
 * Bounds what the server holds for a slow consumer: a message sent while the socket already
 * holds more than `maxBufferedBytes` unsent is dropped, and the socket closed with
 * WS_SLOW_CONSUMER (terminated if its client has not read the close frame after `graceMs`).
 * The dropped message's callback is called without error, so that whatever awaits the send
 * (graphql-ws's subscription loop) moves on to the close rather than wait forever.
 */
export function dropSlowConsumers(
  server: WebSocketServer,
  options: {
    maxBufferedBytes?: number;
    graceMs?: number;
    onDrop?: (socket: WebSocket) => void;
  } = {},
): void {
  const maxBufferedBytes = options.maxBufferedBytes ?? MAX_BUFFERED_BYTES;
  const graceMs = options.graceMs ?? SLOW_CONSUMER_GRACE_MS;
  server.on("connection", (socket: WebSocket) => {
    const send = socket.send.bind(socket) as (data: unknown, ...rest: unknown[]) => void;
    let dropped = false;
    socket.send = ((data: unknown, ...rest: unknown[]) => {
      if (!dropped && socket.bufferedAmount <= maxBufferedBytes) {
        send(data, ...rest);
        return;
      }
      const callback = rest.find((arg) => typeof arg === "function") as SendCallback | undefined;
      if (callback) queueMicrotask(() => callback());
      if (dropped) return;
      dropped = true;
      options.onDrop?.(socket);
      socket.close(WS_SLOW_CONSUMER, "slow consumer");
      const timer = setTimeout(() => socket.terminate(), graceMs);
      timer.unref();
      socket.once("close", () => clearTimeout(timer));
    }) as typeof socket.send;
  });
}
