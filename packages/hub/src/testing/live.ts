import { createClient } from "graphql-ws";
import { WebSocket } from "ws";

/** What a subscription received: each payload's data, and the errors. */
export type Received = { data: Record<string, Record<string, unknown>>[]; errors: unknown[] };

/** Subscribes over graphql-ws at `url` (a started hub's /graphql) as `token`'s viewer. */
export async function listen(
  url: string,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
) {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authToken: token },
  });
  const received: Received = { data: [], errors: [] };
  client.subscribe<Record<string, Record<string, unknown>>>(
    { query, variables },
    {
      next: (msg) => {
        if (msg.data) received.data.push(msg.data);
        if (msg.errors) received.errors.push(...msg.errors);
      },
      error: (error) => received.errors.push(error),
      complete: () => {},
    },
  );
  return { received, close: () => client.dispose() };
}

/** Waits (5 s at most, polling every 20 ms) until `check` holds. */
export async function until(check: () => boolean, what: string) {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
