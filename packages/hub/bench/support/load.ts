// A small closed-loop HTTP load generator (autocannon is not a dependency): `connections`
// keep-alive sockets, each sending its next POST as soon as the previous answer is read, for
// `seconds`. Counts answers; a non-200 answer counts as an error (the first one is kept).
import http from "node:http";
import { type Latency, latency } from "./stats.ts";

export type LoadResult = {
  requests: number;
  errors: number;
  firstError?: string;
  seconds: number;
  rps: number;
  latencyMs: Latency;
};

export async function postLoad(options: {
  url: string;
  body: string;
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
}): Promise<LoadResult> {
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const body = Buffer.from(options.body);
  const headers = {
    "content-type": "application/json",
    "content-length": String(body.length),
    ...options.headers,
  };
  const times: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const request = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          agent,
          headers,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => {
            if (response.statusCode !== 200) {
              errors++;
              firstError ??= `${response.statusCode} ${Buffer.concat(chunks).toString().slice(0, 300)}`;
            } else {
              times.push(performance.now() - started);
            }
            resolve();
          });
        },
      );
      request.on("error", (error) => {
        errors++;
        firstError ??= String(error);
        resolve();
      });
      request.end(body);
    });
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (performance.now() < deadline) await once();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return {
    requests: times.length,
    errors,
    firstError,
    seconds,
    rps: times.length / seconds,
    latencyMs: latency(times),
  };
}

/** One POST, its JSON answer (for checking a query before loading it). */
export async function postOnce(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: { data?: unknown; errors?: unknown } }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    json: (await response.json()) as { data?: unknown; errors?: unknown },
  };
}
