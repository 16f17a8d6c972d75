/** What a test reads of a GraphQL subscription over server-sent events. */
export type SseSubscription = {
  /** Each complete event's data (its `data:` lines joined), parsed, as they arrive. */
  frames: unknown[];
  /** Everything received so far, as sent. */
  text(): string;
  /** Ends the subscription; what was received, as sent. */
  stop(): Promise<string>;
};

/**
 * Subscribes over server-sent events (`Accept: text/event-stream` on /graphql) at an agent
 * (`agent.fetch`) as `token`'s viewer, for the live-update tests.
 */
export async function subscribeSse(
  fetch: (url: string, init?: RequestInit) => Promise<Response>,
  token: string,
  query: string,
): Promise<SseSubscription> {
  const response = await fetch("http://agent.test/graphql", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query }),
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const frames: unknown[] = [];
  let text = "";
  let buffer = "";
  const done = (async () => {
    const decoder = new TextDecoder();
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return;
      const decoded = decoder.decode(chunk.value);
      text += decoded;
      buffer += decoded;
      let cut = buffer.indexOf("\n\n");
      while (cut >= 0) {
        const data = dataOf(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
        if (data) frames.push(JSON.parse(data));
        cut = buffer.indexOf("\n\n");
      }
    }
  })().catch(() => undefined);
  return {
    frames,
    text: () => text,
    async stop() {
      await reader.cancel();
      await done;
      return text;
    },
  };
}

/** An event's data: its `data:` lines, prefix removed, joined. */
function dataOf(frame: string): string {
  return frame
    .split("\n")
    .filter((l) => l.startsWith("data:"))
    .map((l) => l.slice(5))
    .join("");
}

/** Every event's data in `text` (SSE as sent), parsed; events without data left out. */
export function sseEvents(text: string): unknown[] {
  return text
    .split("\n\n")
    .map(dataOf)
    .filter((d) => d !== "")
    .map((d) => JSON.parse(d) as unknown);
}
