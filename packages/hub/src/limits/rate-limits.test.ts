import fs from "node:fs/promises";
import http, { type IncomingMessage } from "node:http";
import os from "node:os";
import path from "node:path";
import { sessionClient } from "@maillage/schema/http/session-client";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../app.ts";
import { signHubLoginLinkToken } from "../auth/login-links.ts";
import { signHubToken } from "../auth/tokens.ts";
import { loadHubConfig, type RateLimitSettings } from "../env.ts";
import { seedHubStore } from "../testing/fixture.ts";
import { listen, until } from "../testing/live.ts";
import { addressKey, clientAddressOf, createRateLimits, rateLimitKeyOf } from "./rate-limits.ts";

const silent = pino({ level: "silent" });
const settings = (over: Partial<RateLimitSettings>): RateLimitSettings => ({
  personPerMinute: 0,
  nodePerMinute: 0,
  anonymousPerMinute: 0,
  keyPrefix: "test",
  ...over,
});

describe("createRateLimits in memory (no REDIS_URL)", () => {
  it("allows a person's budget, then refuses with the wait until the minute is over", async () => {
    const limits = createRateLimits(settings({ personPerMinute: 3 }), { logger: silent });
    const alice = rateLimitKeyOf({ sub: "alice", role: "NATIONAL" }, undefined);
    const verdicts = [];
    for (let i = 0; i < 4; i++) verdicts.push(await limits.consume(alice));
    expect(verdicts.slice(0, 3)).toEqual([{ allowed: true }, { allowed: true }, { allowed: true }]);
    expect(verdicts[3]).toMatchObject({ allowed: false, bucket: "person", limit: 3 });
    const refused = verdicts[3] as { retryAfterSeconds: number };
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
    // Another person has a budget of their own.
    expect(
      await limits.consume(rateLimitKeyOf({ sub: "bob", role: "NATIONAL" }, undefined)),
    ).toEqual({ allowed: true });
    await limits.close();
  });

  it("counts a node apart from people, even with the same subject, and 0 turns a budget off", async () => {
    const limits = createRateLimits(settings({ personPerMinute: 1, nodePerMinute: 2 }), {
      logger: silent,
    });
    const node = rateLimitKeyOf({ sub: "n1", role: "NODE" }, undefined);
    const person = rateLimitKeyOf({ sub: "n1", role: "FABRIQUE_ADMIN" }, undefined);
    expect(node).toEqual({ bucket: "node", key: "n1" });
    expect((await limits.consume(person)).allowed).toBe(true);
    expect((await limits.consume(person)).allowed).toBe(false);
    expect((await limits.consume(node)).allowed).toBe(true);
    expect((await limits.consume(node)).allowed).toBe(true);
    expect(await limits.consume(node)).toMatchObject({ allowed: false, bucket: "node" });
    // anonymousPerMinute 0: never counted.
    const stranger = rateLimitKeyOf(null, "192.0.2.7");
    for (let i = 0; i < 50; i++) expect((await limits.consume(stranger)).allowed).toBe(true);
    await limits.close();
  });

  it("keys a person by token, a node by node id, an anonymous caller by address, an in-process call not at all", () => {
    expect(rateLimitKeyOf(null, "192.0.2.7")).toEqual({ bucket: "anonymous", key: "192.0.2.7" });
    expect(rateLimitKeyOf(null, undefined)).toBeNull();
    expect(rateLimitKeyOf({ sub: "s", role: "NATIONAL", jti: "t1" }, "192.0.2.7")).toEqual({
      bucket: "person",
      key: "jti:t1",
    });
    expect(rateLimitKeyOf({ sub: "s", role: "NATIONAL" }, undefined)).toEqual({
      bucket: "person",
      key: "sub:s",
    });
    expect(rateLimitKeyOf({ sub: "n1", role: "NODE", jti: "t2" }, undefined)).toEqual({
      bucket: "node",
      key: "n1",
    });
  });
});

describe("addressKey", () => {
  it("keeps IPv4 addresses, unmaps IPv4-mapped ones, keys IPv6 by its /64", () => {
    expect(addressKey("192.0.2.7")).toBe("192.0.2.7");
    expect(addressKey("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(addressKey("2001:db8:aa:bb:1:2:3:4")).toBe("2001:db8:aa:bb::/64");
    expect(addressKey("2001:db8:aa:bb::9")).toBe("2001:db8:aa:bb::/64");
    expect(addressKey("2001:0DB8:00aa:bb:ffff::1")).toBe("2001:db8:aa:bb::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
  });
});

describe("clientAddressOf", () => {
  const req = (headers: Record<string, string>) =>
    ({ headers, socket: { remoteAddress: "10.0.0.2" } }) as unknown as IncomingMessage;
  const request = (headers: Record<string, string>) =>
    new Request("http://hub.test/graphql", { headers });

  it("is the socket's peer unless TRUST_PROXY; then the last X-Forwarded-For entry", () => {
    const forwarded = { "x-forwarded-for": "198.51.100.9, 203.0.113.4" };
    expect(clientAddressOf({ req: req(forwarded), request: request(forwarded) }, false)).toBe(
      "10.0.0.2",
    );
    // HTTP: the Fetch request's header; graphql-ws: the upgrade request's.
    expect(clientAddressOf({ req: req({}), request: request(forwarded) }, true)).toBe(
      "203.0.113.4",
    );
    expect(clientAddressOf({ req: req(forwarded) }, true)).toBe("203.0.113.4");
    expect(clientAddressOf({ req: req({}) }, true)).toBe("10.0.0.2");
    expect(clientAddressOf({ request: request({}) }, false)).toBeUndefined();
  });
});

describe("a hub with small budgets", () => {
  let root: string;
  let hub: Hub;
  let url: string;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-rate-"));
    await seedHubStore(path.join(root, "hub"));
    const config = loadHubConfig(
      {
        RATE_LIMIT_PERSON_PER_MINUTE: "3",
        RATE_LIMIT_ANONYMOUS_PER_MINUTE: "2",
        RATE_LIMIT_NODE_PER_MINUTE: "0",
      },
      { dataDir: path.join(root, "hub"), port: 0, logLevel: "silent" },
    );
    hub = await createHub(config, { logger: silent });
    ({ url } = await hub.start());
  });

  afterAll(async () => {
    await hub?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  const post = (query: string, headers: Record<string, string> = {}, variables = {}) =>
    fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ query, variables }),
    });
  type Body = { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] };

  it("refuses a person past the budget with 429, Retry-After and RATE_LIMITED, before anything runs", async () => {
    const token = await signHubToken(
      hub.keys,
      hub.config,
      { role: "NATIONAL", subject: "rate-test-http" },
      "10m",
    );
    const auth = { authorization: `Bearer ${token}` };
    for (let i = 0; i < 3; i++) {
      const ok = await post("{ __typename }", auth);
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as Body).errors).toBeUndefined();
    }
    const before = await hub.services.prisma.space.count();
    const refused = await post(
      "mutation($input: CreateSpaceInput!) { createFabrique(input: $input) { id } }",
      auth,
      { input: { name: "Fabrique refusée", communeCode: "07186" } },
    );
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = (await refused.json()) as Body;
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.extensions).toEqual({
      code: "RATE_LIMITED",
      retryAfterSeconds: retryAfter,
    });
    // Refused before execution: the mutation created nothing.
    expect(await hub.services.prisma.space.count()).toBe(before);
  });

  it("counts answers served from the registry cache like any other", async () => {
    const token = await signHubToken(
      hub.keys,
      hub.config,
      { role: "NATIONAL", subject: "rate-test-cache" },
      "10m",
    );
    const auth = { authorization: `Bearer ${token}` };
    const page = "{ spaces(first: 3) { edges { node { name } } } }";
    const hitsBefore = hub.registryCache?.stats().hits ?? 0;
    for (let i = 0; i < 3; i++) expect((await post(page, auth)).status).toBe(200);
    expect(hub.registryCache?.stats().hits).toBe(hitsBefore + 2);
    const refused = await post(page, auth);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as Body).errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
  });

  it("refuses a graphql-ws subscribe past the budget with RATE_LIMITED (one subscribe, one request)", async () => {
    const token = await signHubToken(
      hub.keys,
      hub.config,
      { role: "NATIONAL", subject: "rate-test-ws" },
      "10m",
    );
    const wsUrl = `${url.replace(/^http/, "ws")}/graphql`;
    const subscription = "subscription { spaceChanged { change } }";
    const clients = await Promise.all([1, 2, 3, 4].map(() => listen(wsUrl, token, subscription)));
    try {
      const refused = () => clients.filter((c) => c.received.errors.length > 0);
      await until(() => refused().length > 0, "the refusal");
      // A budget of 3: whichever subscribe came fourth is the one refused.
      expect(refused()).toHaveLength(1);
      // graphql-ws hands the error message's errors to the sink as one array.
      const [error] = (refused()[0]?.received.errors ?? []).flat() as {
        extensions?: Record<string, unknown>;
      }[];
      expect(error?.extensions?.code).toBe("RATE_LIMITED");
      expect(error?.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it("counts each token and each web session on its own, even of one subject", async () => {
    const base = "http://hub.test";
    const session = sessionClient((input, init) => hub.fetch(input, init), base);
    const { cookie, csrf } = await session.signIn(
      await signHubLoginLinkToken(hub.keys, hub.config, { role: "NATIONAL" }),
    );
    // Two NATIONAL tokens share the session's subject (national:network), not its budget.
    const first = await signHubToken(hub.keys, hub.config, { role: "NATIONAL" }, "10m");
    const second = await signHubToken(hub.keys, hub.config, { role: "NATIONAL" }, "10m");
    const statuses = async (headers: Record<string, string>, n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await session.gql("{ __typename }", headers)).status);
      return out;
    };
    expect(await statuses({ authorization: `Bearer ${first}` }, 4)).toEqual([200, 200, 200, 429]);
    expect(await statuses({ authorization: `Bearer ${second}` }, 3)).toEqual([200, 200, 200]);
    expect(await statuses({ cookie, "x-maillage-csrf": csrf }, 3)).toEqual([200, 200, 200]);
    const refused = await session.gql("{ __typename }", { cookie, "x-maillage-csrf": csrf });
    expect([refused.status, refused.code]).toEqual([429, "RATE_LIMITED"]);
  });

  it("counts anonymous callers by address", async () => {
    // Without TRUST_PROXY a forged X-Forwarded-For changes nothing: the socket's address counts.
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const response = await post("{ __typename }", { "x-forwarded-for": `198.51.100.${i}` });
      statuses.push(response.status);
      await response.body?.cancel();
    }
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("spends an address's anonymous budget on refused tokens: a forged-token flood meets RATE_LIMITED", async () => {
    // From another loopback address than the other tests', so that its budget is whole.
    const forged = () =>
      new Promise<{ status: number; code: unknown }>((resolve, reject) => {
        const request = http.request(
          `${url}/graphql`,
          {
            method: "POST",
            localAddress: "127.0.0.7",
            headers: { "content-type": "application/json", authorization: "Bearer not.a.jwt" },
          },
          (response) => {
            let body = "";
            response.on("data", (chunk) => {
              body += chunk;
            });
            response.on("end", () => {
              const parsed = JSON.parse(body) as { errors?: { extensions?: { code?: unknown } }[] };
              resolve({
                status: response.statusCode ?? 0,
                code: parsed.errors?.[0]?.extensions?.code,
              });
            });
          },
        );
        request.on("error", reject);
        request.end(JSON.stringify({ query: "{ __typename }" }));
      });
    const answers = [await forged(), await forged(), await forged()];
    expect(answers).toEqual([
      { status: 401, code: "UNAUTHENTICATED" },
      { status: 401, code: "UNAUTHENTICATED" },
      { status: 429, code: "RATE_LIMITED" },
    ]);
  });
});
