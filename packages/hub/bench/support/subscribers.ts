// Many graphql-ws (graphql-transport-ws) subscribers on raw `ws` sockets: the protocol's three
// messages by hand, so that 5,000 clients cost the load generator little. Each subscriber
// runs one subscription and hands every `next` payload to `onNext`.
import WebSocket from "ws";

export type Subscribers = {
  count: number;
  /** Closes every socket and waits until they are closed. */
  close(): Promise<void>;
};

export async function openSubscribers(options: {
  url: string;
  count: number;
  query: string;
  authToken?: string;
  /** Sockets being opened at once. */
  concurrency?: number;
  onNext(data: unknown, subscriber: number): void;
}): Promise<Subscribers> {
  const wsUrl = `${options.url.replace(/^http/, "ws")}/graphql`;
  const sockets: WebSocket[] = [];
  const openOne = (index: number) =>
    new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(wsUrl, "graphql-transport-ws", { perMessageDeflate: false });
      sockets.push(socket);
      const timer = setTimeout(
        () => reject(new Error(`subscriber ${index}: no ack in 60 s`)),
        60_000,
      );
      socket.on("open", () => {
        socket.send(
          JSON.stringify({
            type: "connection_init",
            payload: options.authToken ? { authToken: options.authToken } : {},
          }),
        );
      });
      socket.on("message", (raw: Buffer) => {
        const message = JSON.parse(raw.toString()) as {
          type: string;
          payload?: { data?: unknown } | unknown[];
        };
        if (message.type === "connection_ack") {
          socket.send(
            JSON.stringify({ id: "1", type: "subscribe", payload: { query: options.query } }),
          );
          clearTimeout(timer);
          resolve();
        } else if (message.type === "next") {
          options.onNext((message.payload as { data?: unknown }).data, index);
        } else if (message.type === "ping") {
          socket.send(JSON.stringify({ type: "pong" }));
        } else if (message.type === "error") {
          reject(new Error(`subscriber ${index}: ${JSON.stringify(message.payload)}`));
        }
      });
      socket.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.on("close", (code) => {
        clearTimeout(timer);
        reject(new Error(`subscriber ${index}: closed ${code}`));
      });
    });
  const concurrency = options.concurrency ?? 100;
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, options.count) }, async () => {
        while (next < options.count) await openOne(next++);
      }),
    );
  } catch (error) {
    for (const socket of sockets) socket.terminate();
    throw error;
  }
  return {
    count: sockets.length,
    async close() {
      await Promise.all(
        sockets.map(
          (socket) =>
            new Promise<void>((resolve) => {
              if (socket.readyState === WebSocket.CLOSED) return resolve();
              socket.removeAllListeners("close");
              socket.removeAllListeners("error");
              socket.on("error", () => {});
              socket.once("close", () => resolve());
              socket.close(1000);
              setTimeout(() => {
                socket.terminate();
                resolve();
              }, 5_000).unref();
            }),
        ),
      );
    },
  };
}
