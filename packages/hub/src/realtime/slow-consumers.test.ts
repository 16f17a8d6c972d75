import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { afterEach, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { dropSlowConsumers, WS_SLOW_CONSUMER } from "./slow-consumers.ts";

let server: WebSocketServer | undefined;
afterEach(async () => {
  for (const client of server?.clients ?? []) client.terminate();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

it("a client that stops reading is closed with WS_SLOW_CONSUMER; what the server holds for it stays bounded", async () => {
  const limit = 64 * 1024;
  server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  const drops: WebSocket[] = [];
  dropSlowConsumers(server, {
    maxBufferedBytes: limit,
    graceMs: 60_000,
    onDrop: (s) => drops.push(s),
  });
  const accepted = once(server, "connection") as Promise<[WebSocket]>;
  await once(server, "listening");
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await once(client, "open");
  const [socket] = await accepted;
  // The client stops reading: the kernel's buffers fill, then ws's own queue.
  (client as unknown as { _socket: { pause(): void } })._socket.pause();
  const message = "x".repeat(16 * 1024);
  let settled = 0;
  let peak = 0;
  for (let i = 0; i < 2000 && drops.length === 0; i++) {
    socket.send(message, () => settled++);
    peak = Math.max(peak, socket.bufferedAmount);
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(drops).toEqual([socket]);
  // What it holds: the limit, the message that crossed it, and the close frame.
  expect(peak).toBeLessThanOrEqual(limit + message.length + 1024);
  // Later sends are dropped at once, their callbacks called (nothing awaits forever).
  const before = socket.bufferedAmount;
  await new Promise<void>((resolve) => socket.send(message, () => resolve()));
  expect(socket.bufferedAmount).toBe(before);
  // Once it reads again, the client learns why it was dropped.
  const closed = once(client, "close") as Promise<[number]>;
  (client as unknown as { _socket: { resume(): void } })._socket.resume();
  const [code] = await closed;
  expect(code).toBe(WS_SLOW_CONSUMER);
  expect(settled).toBeGreaterThan(0);
});

it("a client that reads keeps its socket however many messages it is sent", async () => {
  server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  const drops: WebSocket[] = [];
  dropSlowConsumers(server, { maxBufferedBytes: 64 * 1024, onDrop: (s) => drops.push(s) });
  const accepted = once(server, "connection") as Promise<[WebSocket]>;
  await once(server, "listening");
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  let received = 0;
  client.on("message", () => received++);
  await once(client, "open");
  const [socket] = await accepted;
  for (let i = 0; i < 500; i++) {
    await new Promise<void>((resolve) => socket.send("x".repeat(1024), () => resolve()));
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(drops).toEqual([]);
  expect(socket.readyState).toBe(WebSocket.OPEN);
  expect(received).toBe(500);
  client.close();
});
