import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../app.ts";
import { signHubToken } from "../auth/tokens.ts";
import { loadHubConfig } from "../env.ts";
import { seedHubStore } from "../testing/fixture.ts";

/**
 * GRAPHQL_MAX_BODY_BYTES over a real socket, with and without Content-Length (chunked), and in
 * process: useBodyLimit trusts the header only for what Node's HTTP parser read, and counts
 * every other body as it is read.
 */

const LIMIT = 4096;
let root: string;
let hub: Hub;
let url: URL;
let token: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-body-limit-"));
  await seedHubStore(path.join(root, "hub"));
  const config = loadHubConfig(
    { GRAPHQL_MAX_BODY_BYTES: String(LIMIT) },
    { dataDir: path.join(root, "hub"), port: 0, logLevel: "silent" },
  );
  hub = await createHub(config, { logger: pino({ level: "silent" }) });
  url = new URL(`${(await hub.start()).url}/graphql`);
  token = await signHubToken(hub.keys, config, { role: "NATIONAL" }, "1h");
});

afterAll(async () => {
  await hub?.stop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

/** A query padded with a comment (no tokens) to `bytes` bytes of JSON body. */
function bodyOf(bytes: number): string {
  const bare = JSON.stringify({ query: "{ __typename }\n# " });
  return JSON.stringify({ query: `{ __typename }\n# ${"x".repeat(bytes - bare.length)}` });
}

/** POSTs over the socket; `chunked` sends no Content-Length, in two writes. */
function send(body: string, chunked: boolean): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${token}`,
          ...(chunked ? {} : { "content-length": String(Buffer.byteLength(body)) }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (c: Buffer) => chunks.push(c));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString()),
          }),
        );
      },
    );
    request.on("error", reject);
    if (chunked) {
      const half = Math.floor(body.length / 2);
      request.write(body.slice(0, half));
      request.end(body.slice(half));
    } else request.end(body);
  });
}

const codes = (json: unknown) =>
  ((json as { errors?: { extensions?: { code?: string } }[] }).errors ?? []).map(
    (e) => e.extensions?.code,
  );

describe("the request body limit", () => {
  it("answers a body within the limit, with or without Content-Length", async () => {
    for (const chunked of [false, true]) {
      const { status, json } = await send(bodyOf(LIMIT), chunked);
      expect(status).toBe(200);
      expect(json).toEqual({ data: { __typename: "Query" } });
    }
  });

  it("refuses a longer body with 413 REQUEST_ENTITY_TOO_LARGE, by its header or as it is read", async () => {
    for (const chunked of [false, true]) {
      const { status, json } = await send(bodyOf(LIMIT + 1), chunked);
      expect(status).toBe(413);
      expect(codes(json)).toEqual(["REQUEST_ENTITY_TOO_LARGE"]);
    }
  });

  it("counts an in-process body, whatever its Content-Length says", async () => {
    const body = bodyOf(LIMIT + 100);
    const response = await hub.fetch("http://hub.test/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "content-length": "10",
        authorization: `Bearer ${token}`,
      },
      body,
    });
    expect(response.status).toBe(413);
    expect(codes(await response.json())).toEqual(["REQUEST_ENTITY_TOO_LARGE"]);
  });
});
