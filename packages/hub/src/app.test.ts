import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { type Client, createClient } from "graphql-ws";
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  generateKeyPair,
  type JWK,
  jwtVerify,
  SignJWT,
} from "jose";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import { createHub, type Hub, WS_TOKEN_EXPIRED } from "./app.ts";
import { KEY_FILE_CHECK_MS, removeSigningKey, rotateSigningKey } from "./auth/keys.ts";
import { issueHubToken, signHubToken } from "./auth/tokens.ts";
import { seedDemoNetwork } from "./demo.ts";
import { loadHubConfig } from "./env.ts";
import { seedHubStore } from "./testing/fixture.ts";

/**
 * The hub's endpoints over a real socket: probes, JWKS, bearer tokens on HTTP, graphql-ws
 * subscriptions and their authentication, and the request log. One embedded hub for the file.
 */

type GraphQLBody = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
};

let root: string;
let hub: Hub;
let baseUrl: string;
let port: number;
const logLines: string[] = [];
/** Two fabriques of the demo network: [database id, global id]. */
let fabriqueA: { id: string; gid: string };
let fabriqueB: { id: string; gid: string };

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-app-"));
  await seedHubStore(path.join(root, "hub"));
  const config = loadHubConfig({}, { dataDir: path.join(root, "hub"), port: 0, logLevel: "info" });
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      logLines.push(...String(chunk).split("\n").filter(Boolean));
      callback();
    },
  });
  hub = await createHub(config, { logger: pino({ level: "info" }, destination) });
  ({ url: baseUrl, port } = await hub.start());
  await seedDemoNetwork(hub);
  const fabriques = await hub.services.prisma.space.findMany({
    where: { kind: "FABRIQUE" },
    orderBy: { name: "asc" },
    take: 2,
  });
  const [a, b] = fabriques.map((f) => ({
    id: f.id,
    gid: f.id,
  }));
  if (!a || !b) throw new Error("the demo network has fewer than two fabriques");
  fabriqueA = a;
  fabriqueB = b;
});

afterAll(async () => {
  await hub?.stop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

const national = () => signHubToken(hub.keys, hub.config, { role: "NATIONAL" }, "1h");
const admin = (fabriqueId: string) =>
  signHubToken(hub.keys, hub.config, { role: "FABRIQUE_ADMIN", fabriqueId }, "1h");

async function post(
  query: string,
  options: { token?: string; authorization?: string; variables?: object } = {},
) {
  const authorization =
    options.authorization ?? (options.token ? `Bearer ${options.token}` : undefined);
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
      ...(authorization ? { authorization } : {}),
    },
    body: JSON.stringify({ query, variables: options.variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLBody };
}

const SPACES_COUNT = "query Spaces { spaces(first: 1) { totalCount } }";

function codeOf(body: GraphQLBody): string | undefined {
  return body.errors?.[0]?.extensions?.code;
}

describe("probes", () => {
  it("GET /health answers 200", async () => {
    const response = await fetch(`${baseUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok" });
  });

  it("GET /ready answers 200 with no pending migration", async () => {
    const response = await fetch(`${baseUrl}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: "ready",
      database: "reachable",
      pendingMigrations: [],
    });
  });

  it("GET /.well-known/jwks.json lists the public signing key, usable to verify hub tokens", async () => {
    const response = await fetch(`${baseUrl}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    const jwks = (await response.json()) as { keys: JWK[] };
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys;
    expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519", kid: hub.keys.signer.kid });
    expect(key).not.toHaveProperty("d");

    const token = await national();
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: hub.config.issuer,
      audience: hub.config.audience,
    });
    expect(payload.role).toBe("NATIONAL");
  });
});

describe("bearer tokens over HTTP", () => {
  it("accepts a NATIONAL token and counts the whole network", async () => {
    const { status, body } = await post(SPACES_COUNT, { token: await national() });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const total = await hub.services.prisma.space.count();
    expect(body.data).toEqual({ spaces: { totalCount: total } });
  });

  it("refuses a DateTime without an offset with BAD_USER_INPUT naming the field or variable", async () => {
    const token = await national();
    const literal = await post(
      'query { resourceAvailability(resourceId: "r", from: "2026-12-15T10:00:00", to: "2026-12-16T00:00:00Z") { startsAt } }',
      { token },
    );
    expect(literal.body.errors?.[0]?.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "from",
    });
    expect(literal.body.errors?.[0]?.message).toMatch(/^from: DateTime needs an explicit offset/);
    const variable = await post(
      'query($to: DateTime!) { resourceAvailability(resourceId: "r", from: "2026-12-15T10:00:00Z", to: $to) { startsAt } }',
      { token, variables: { to: "2026-12-16T00:00:00" } },
    );
    expect(codeOf(variable.body)).toBe("BAD_USER_INPUT");
    expect(variable.body.errors?.[0]?.message).toMatch(/^Variable "\$to" got invalid value/);
  });

  it("a FABRIQUE_ADMIN counts only its own network and may not register fabriques", async () => {
    const token = await admin(fabriqueA.id);
    const own = await hub.services.prisma.space.count({
      where: { OR: [{ id: fabriqueA.id }, { fabriqueId: fabriqueA.id }] },
    });
    const counted = await post(SPACES_COUNT, { token });
    expect(counted.body.data).toEqual({ spaces: { totalCount: own } });

    const created = await post(
      'mutation { createFabrique(input: { name: "Interdite", communeCode: "07186" }) { id } }',
      { token },
    );
    expect(codeOf(created.body)).toBe("FORBIDDEN");
  });

  it("no token on a protected query: UNAUTHENTICATED", async () => {
    const { body } = await post(SPACES_COUNT);
    expect(codeOf(body)).toBe("UNAUTHENTICATED");
    // Root fields are nullable: the refused one answers null, with its error.
    expect(body.data).toEqual({ spaces: null });
  });

  it.each([
    ["a malformed token", () => Promise.resolve("Bearer not.a.jwt")],
    ["a non-Bearer scheme", () => Promise.resolve("Basic dXNlcjpwYXNz")],
    [
      "an expired token",
      async () => {
        const now = Math.floor(Date.now() / 1000);
        const token = await new SignJWT({ role: "NATIONAL" })
          .setProtectedHeader({ alg: "EdDSA", kid: hub.keys.signer.kid })
          .setIssuer(hub.config.issuer)
          .setAudience(hub.config.audience)
          .setSubject("national:network")
          .setIssuedAt(now - 120)
          .setExpirationTime(now - 60)
          .sign(hub.keys.signer.privateKey);
        return `Bearer ${token}`;
      },
    ],
    [
      "a token signed by an unknown key",
      async () => {
        const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
        const token = await new SignJWT({ role: "NATIONAL" })
          .setProtectedHeader({ alg: "EdDSA", kid: randomUUID() })
          .setIssuer(hub.config.issuer)
          .setAudience(hub.config.audience)
          .setSubject("national:network")
          .setIssuedAt()
          .setExpirationTime("1h")
          .sign(privateKey);
        return `Bearer ${token}`;
      },
    ],
  ])("%s: HTTP 401 and UNAUTHENTICATED", async (_name, authorization) => {
    const { status, body } = await post(SPACES_COUNT, { authorization: await authorization() });
    expect(status).toBe(401);
    expect(codeOf(body)).toBe("UNAUTHENTICATED");
    expect(body.data ?? null).toBeNull();
  });

  it("accepts a token issued from the key file while the hub runs (the CLI path, no database)", async () => {
    const token = await issueHubToken(hub.config, { role: "NATIONAL" }, "10m");
    expect(decodeProtectedHeader(token).kid).toBe(hub.keys.signer.kid);
    const { status, body } = await post(SPACES_COUNT, { token });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  });
});

type Subscriber = {
  client: Client;
  events: { change: string; space: { name: string } }[];
  errors: unknown[];
  /** Resolves with the close code when the socket closes. */
  closed: Promise<number>;
  dispose(): Promise<void>;
};

const SPACE_CHANGED = "subscription { spaceChanged { change space { name } } }";

function subscribe(authToken: string | undefined): Subscriber {
  let onClosed: (code: number) => void = () => {};
  const closed = new Promise<number>((resolve) => {
    onClosed = resolve;
  });
  const client = createClient({
    url: `ws://127.0.0.1:${port}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: authToken === undefined ? {} : { authToken },
    retryAttempts: 0,
    lazy: false,
    // A refused connection is expected here; the default would print it on stderr.
    onNonLazyError: () => {},
    on: { closed: (event) => onClosed((event as { code: number }).code) },
  });
  const subscriber: Subscriber = {
    client,
    events: [],
    errors: [],
    closed,
    dispose: () => client.dispose() as Promise<void>,
  };
  client.subscribe<{ spaceChanged: Subscriber["events"][number] }>(
    { query: SPACE_CHANGED },
    {
      next: (result) => {
        if (result.errors) subscriber.errors.push(...result.errors);
        if (result.data?.spaceChanged) subscriber.events.push(result.data.spaceChanged);
      },
      error: (error) => subscriber.errors.push(error),
      complete: () => {},
    },
  );
  return subscriber;
}

/**
 * Creates satellites of `fabrique` (as its team) until `received` holds: the subscription is
 * registered asynchronously on the server, so the first event may come before it listens.
 */
async function createSatellitesUntil(
  fabrique: { id: string; gid: string },
  prefix: string,
  received: () => boolean,
): Promise<string[]> {
  const names: string[] = [];
  for (let attempt = 0; attempt < 20 && !received(); attempt++) {
    const name = `${prefix} ${attempt}`;
    await createSatellite(fabrique, name);
    names.push(name);
    await vi
      .waitFor(() => expect(received()).toBe(true), { timeout: 500, interval: 20 })
      .catch(() => {});
  }
  return names;
}

async function createSatellite(fabrique: { id: string; gid: string }, name: string) {
  const { body } = await post(
    `mutation Create($fabriqueId: ID!, $input: CreateSpaceInput!) {
      createSatellite(fabriqueId: $fabriqueId, input: $input) { id name }
    }`,
    {
      token: await admin(fabrique.id),
      variables: { fabriqueId: fabrique.gid, input: { name, communeCode: "07019" } },
    },
  );
  expect(body.errors).toBeUndefined();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection after `ms`: a missing close fails fast instead of hanging. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe("graphql-ws", () => {
  it("a NATIONAL subscriber hears a satellite created by a fabrique team; another fabrique's team does not", async () => {
    const nationalSub = subscribe(await national());
    const otherTeam = subscribe(await admin(fabriqueB.id));
    const ownTeam = subscribe(await admin(fabriqueA.id));
    try {
      const prefix = `Satellite ws ${randomUUID().slice(0, 8)}`;
      const mine = (s: Subscriber) => s.events.filter((e) => e.space.name.startsWith(prefix));
      const names = await createSatellitesUntil(
        fabriqueA,
        prefix,
        () => mine(nationalSub).length > 0 && mine(ownTeam).length > 0,
      );

      expect(mine(nationalSub)[0]).toEqual({
        change: "CREATED",
        space: { name: expect.stringMatching(prefix) },
      });
      expect(names).toContain(mine(nationalSub)[0]?.space.name);
      // The fabrique's own team hears its network too.
      expect(mine(ownTeam)[0]?.change).toBe("CREATED");
      await sleep(300);
      expect(otherTeam.events).toEqual([]);
      expect(nationalSub.errors).toEqual([]);
      expect(otherTeam.errors).toEqual([]);
    } finally {
      await Promise.all([nationalSub.dispose(), otherTeam.dispose(), ownTeam.dispose()]);
    }
  });

  it("a connection with a bad token is closed with 4403 and hears nothing", async () => {
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const forged = await new SignJWT({ role: "NATIONAL" })
      .setProtectedHeader({ alg: "EdDSA", kid: hub.keys.signer.kid })
      .setIssuer(hub.config.issuer)
      .setAudience(hub.config.audience)
      .setSubject("national:network")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(privateKey);
    for (const token of ["garbage", forged]) {
      const sub = subscribe(token);
      try {
        expect(await within(sub.closed, 5000)).toBe(4403);
        await createSatellite(fabriqueA, `Satellite refused ${randomUUID().slice(0, 8)}`);
        await sleep(300);
        expect(sub.events).toEqual([]);
      } finally {
        await sub.dispose();
      }
    }
  });

  it("a subscription without a token is refused with UNAUTHENTICATED", async () => {
    const sub = subscribe(undefined);
    try {
      await vi.waitFor(() => expect(sub.errors.length).toBeGreaterThan(0), { timeout: 3000 });
      const [error] = sub.errors as { extensions?: { code?: string } }[];
      expect(error?.extensions?.code).toBe("UNAUTHENTICATED");
      expect(sub.events).toEqual([]);
    } finally {
      await sub.dispose();
    }
  });

  it(`closes the socket with ${WS_TOKEN_EXPIRED} when its token expires`, async () => {
    const token = await signHubToken(hub.keys, hub.config, { role: "NATIONAL" }, "2s");
    const sub = subscribe(token);
    try {
      const started = Date.now();
      expect(await within(sub.closed, 5000)).toBe(4401);
      // Not before the token expired (exp is in whole seconds, so at least ~1 s later).
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    } finally {
      await sub.dispose();
    }
  });

  // Known bug in app.ts: the expiry timer is a plain setTimeout, whose delay overflows past
  // 2^31-1 ms (~24.8 days); Node then fires it after 1 ms, so a token valid for 30 days (the
  // CLI accepts up to 365d) has its socket closed at once. Remove `.fails` once app.ts re-arms
  // the timer in chunks.
  it("keeps open a socket whose token is valid for 30 days", async () => {
    const token = await signHubToken(hub.keys, hub.config, { role: "NATIONAL" }, "30d");
    const sub = subscribe(token);
    try {
      const outcome = await within(sub.closed, 1000).then(
        (code) => `closed with ${code}`,
        () => "open",
      );
      expect(outcome).toBe("open");
    } finally {
      await sub.dispose();
    }
  });
});

describe("request log", () => {
  it("writes one JSON line per request with its operation name and duration", async () => {
    const token = await national();
    logLines.length = 0;
    const { status } = await post(SPACES_COUNT, { token });
    expect(status).toBe(200);
    const requestLines = () =>
      logLines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((l) => l.msg === "request");
    await vi.waitFor(() => expect(requestLines().length).toBeGreaterThan(0), { timeout: 2000 });
    await sleep(100);
    const lines = requestLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: "request", operationName: "Spaces", status: 200 });
    expect(typeof lines[0]?.durationMs).toBe("number");
  });
});

// Last: these change the hub's keys.
describe("key rotation under a running hub", () => {
  let oldKid: string;
  let oldToken: string;
  let newKid: string;

  it("JWKS lists both keys after a rotation, and old and new tokens are accepted", async () => {
    oldKid = hub.keys.signer.kid;
    oldToken = await national();
    newKid = await rotateSigningKey(hub.config.dataDir);

    const jwks = (await (await fetch(`${baseUrl}/.well-known/jwks.json`)).json()) as {
      keys: JWK[];
    };
    expect(jwks.keys.map((k) => k.kid)).toEqual([oldKid, newKid]);
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519" });
      expect(key).not.toHaveProperty("d");
    }

    const newToken = await issueHubToken(hub.config, { role: "NATIONAL" }, "10m");
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    for (const token of [oldToken, newToken]) {
      const { status, body } = await post(SPACES_COUNT, { token });
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
    }
  });

  it("refuses tokens of a removed key within a second (HTTP 401)", async () => {
    await removeSigningKey(hub.config.dataDir, oldKid);
    // The hub looks at its key file once per KEY_FILE_CHECK_MS at most, not per request.
    await new Promise((resolve) => setTimeout(resolve, KEY_FILE_CHECK_MS + 20));
    const { status, body } = await post(SPACES_COUNT, { token: oldToken });
    expect(status).toBe(401);
    expect(codeOf(body)).toBe("UNAUTHENTICATED");

    const jwks = (await (await fetch(`${baseUrl}/.well-known/jwks.json`)).json()) as {
      keys: JWK[];
    };
    expect(jwks.keys.map((k) => k.kid)).toEqual([newKid]);
  });
});
