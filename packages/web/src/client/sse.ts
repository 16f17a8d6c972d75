import type { TadaDocumentNode } from "gql.tada";
import { markSessionExpired } from "../app/session.ts";
import { backoffDelay } from "./backoff.ts";
import { ApiError, apiErrorOf, type GraphQLErrorBody } from "./errors.ts";
import { documentText, graphqlHeaders } from "./http.ts";

export interface SubscriptionHandlers<R> {
  next(data: R): void;
  /** A GraphQL error in the stream, or a refused subscription (the stream is not retried then). */
  error?(error: ApiError): void;
  /** The stream came back after a drop: events may have been missed, refetch the view. */
  reconnected?(): void;
  /** The stream is open (true) or being re-established (false). */
  connection?(open: boolean): void;
}

/**
 * A subscription to the agent: GraphQL over server-sent events (POST /graphql, Accept:
 * text/event-stream, yoga's `event: next` frames), reopened with backoff when it drops or ends.
 * Returns the function that stops it.
 */
export function subscribe<R, V>(
  doc: TadaDocumentNode<R, V>,
  variables: V,
  handlers: SubscriptionHandlers<R>,
): () => void {
  let stopped = false;
  let attempt = 0;
  let opened = false;
  let controller: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const retry = () => {
    if (stopped) return;
    handlers.connection?.(false);
    timer = setTimeout(connect, backoffDelay(attempt++));
  };

  const connect = async () => {
    controller = new AbortController();
    let response: Response;
    try {
      response = await fetch("/graphql", {
        method: "POST",
        credentials: "same-origin",
        headers: graphqlHeaders("text/event-stream"),
        body: JSON.stringify({ query: documentText(doc), variables }),
        signal: controller.signal,
      });
    } catch {
      retry();
      return;
    }
    if (response.status === 401) {
      markSessionExpired();
      handlers.error?.(new ApiError("UNAUTHENTICATED", "event stream: HTTP 401"));
      return;
    }
    if (!response.ok || !response.body) {
      retry();
      return;
    }
    handlers.connection?.(true);
    if (opened) handlers.reconnected?.();
    opened = true;
    try {
      for await (const frame of sseFrames(response.body)) {
        if (stopped) return;
        if (frame.event === "complete") break;
        if (frame.event !== "next" || !frame.data) continue;
        attempt = 0;
        const payload = JSON.parse(frame.data) as { data?: R; errors?: GraphQLErrorBody[] };
        if (payload.errors?.length) {
          const error = apiErrorOf(payload.errors);
          if (error.code === "UNAUTHENTICATED") markSessionExpired();
          handlers.error?.(error);
          if (!payload.data) {
            stopped = true;
            return;
          }
        }
        if (payload.data) handlers.next(payload.data);
      }
    } catch {
      // dropped: reconnect below
    }
    retry();
  };

  void connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    controller?.abort();
  };
}

/** The frames of a text/event-stream body ({event, data}); comments (pings) are skipped. */
export async function* sseFrames(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ event: string; data: string }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") event = value;
          else if (field === "data") data.push(value);
        }
        if (data.length || event !== "message") yield { event, data: data.join("\n") };
        end = buffer.indexOf("\n\n");
      }
    }
  } finally {
    reader.releaseLock();
  }
}
