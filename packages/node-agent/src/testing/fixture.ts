import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createThrowawayDatabase, seedPgliteStore } from "@maillage/storage/testing";
import { SignJWT } from "jose";
import { pino } from "pino";
import { ulid } from "ulid";
import { WebSocket } from "ws";
import { type Agent, createAgent } from "../app.ts";
import { type AgentConfig, DEFAULT_SYNC_SETTINGS, loadAgentConfig } from "../env.ts";
import { loadNodeCredentials, type NodeCredentials } from "../identity/identity.ts";
import { initAgent } from "../identity/init.ts";
import { type AgentTokenRequest, signAgentToken } from "../identity/tokens.ts";
import { agentMigrations } from "../store/migrations.ts";
import { createSyncEngine, type SyncEngine } from "../sync/engine.ts";
import { createHubClient } from "../sync/hub-client.ts";
import { createFakeHub, type FakeHub } from "./fake-hub.ts";
import { maintenanceRepository } from "./maintenance.repository.ts";

export type Backend = "pglite" | "postgres";

export type GraphQLResponse<T = Record<string, unknown>> = {
  data?: T | null;
  errors?: {
    message: string;
    path?: string[];
    extensions?: { code?: string } & Record<string, unknown>;
  }[];
};

/** Fast retries for tests: 10 ms base, 100 ms cap; small batches to exercise batching. */
export const TEST_SYNC_SETTINGS: AgentConfig["sync"] = {
  ...DEFAULT_SYNC_SETTINGS,
  backoff: { baseMs: 10, capMs: 100 },
  pollIntervalMs: 60_000,
  pullLimit: 10,
  pushBatch: 25,
  subscribe: false,
};

export type TestAgent = {
  agent: Agent;
  hub: FakeHub;
  /** The fake hub's base URL (listening on 127.0.0.1:0, for graphql-ws). */
  hubUrl: string;
  credentials: NodeCredentials;
  fabrique: { id: string; name: string };
  dataDir: string;
  /** Runs an operation on the agent in process; `token` becomes the bearer token. */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<GraphQLResponse<T> & { status: number }>;
  token(request: AgentTokenRequest): Promise<string>;
  admin(): Promise<string>;
  /**
   * A second engine on the same store (a restarted agent), with its own settings. It reacts to
   * pulls like the agent's own (live updates, automatic decisions) unless `onPulled` is null
   * (a crash right after a pull committed).
   */
  newEngine(
    settings?: Partial<AgentConfig["sync"]>,
    hooks?: { onPulled?: Agent["onPulled"] | null },
  ): SyncEngine;
  /**
   * Stops the engine, empties the store and the fake hub, between tests of one file (agents
   * sharing one hub: reset every one of them).
   */
  reset(): Promise<void>;
  close(): Promise<void>;
};

/**
 * An enrolled agent (through `initAgent` against a fake hub) on a throwaway store: PGlite in
 * a temp dir, or a fresh PostgreSQL database dropped afterwards. One per test file.
 */
export async function startTestAgent(
  backend: Backend,
  options: {
    sync?: Partial<AgentConfig["sync"]>;
    logLevel?: "silent" | "info" | "debug";
    /** Enrol with this agent's fake hub instead of a new one (several nodes, one hub). */
    sharedHubOf?: TestAgent;
    /** The clock of booking rules (lead time, deadlines, overdue loans). */
    now?: () => Date;
    fabriqueName?: string;
    /** The automatic decider's safety-net period once `agent.start()` ran. */
    decideIntervalMs?: number;
  } = {},
): Promise<TestAgent> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-agent-"));
  const dataDir = path.join(root, "agent");
  const ownHub = options.sharedHubOf === undefined;
  const hub = options.sharedHubOf?.hub ?? createFakeHub();
  const hubUrl = options.sharedHubOf?.hubUrl ?? (await hub.listen());
  let dropDatabase = async () => {};
  let databaseUrl: string | undefined;
  if (backend === "postgres") {
    const created = await createThrowawayDatabase();
    databaseUrl = created.url;
    dropDatabase = created.drop;
  }
  const fabrique = { id: ulid(), name: options.fabriqueName ?? "Fabrique des Boutières" };
  await initAgent({ dataDir, hubUrl, code: hub.createCode(fabrique), fetch: hub.fetch });
  if (backend === "pglite") await seedPgliteStore(dataDir, await agentMigrations());
  const credentials = await loadNodeCredentials(dataDir);
  const logger = pino({ level: options.logLevel ?? "silent" });
  const sync = { ...TEST_SYNC_SETTINGS, ...options.sync };
  const config = loadAgentConfig({}, { dataDir, databaseUrl, port: 0, logLevel: "silent", sync });
  const agent = await createAgent(config, {
    logger,
    fetch: hub.fetch,
    now: options.now,
    decideIntervalMs: options.decideIntervalMs,
  });

  const t: TestAgent = {
    agent,
    hub,
    hubUrl,
    credentials,
    fabrique,
    dataDir,
    async gql(query, variables, token) {
      const response = await agent.fetch("http://agent.test/graphql", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as GraphQLResponse<never>) };
    },
    token: (request) => signAgentToken(credentials.identity, credentials.key, request),
    admin: () => signAgentToken(credentials.identity, credentials.key, { role: "FABRIQUE_ADMIN" }),
    newEngine(settings = {}, hooks = {}) {
      return createSyncEngine({
        store: agent.store,
        identity: credentials.identity,
        key: credentials.key,
        hub: createHubClient({ hubUrl, fetch: hub.fetch, webSocketImpl: WebSocket }),
        logger,
        settings: { ...sync, ...settings },
        audience: config.hubAudience,
        onPulled: hooks.onPulled === null ? undefined : (hooks.onPulled ?? agent.onPulled),
      });
    },
    async reset() {
      await agent.sync.stop();
      await maintenanceRepository.truncateAll(agent.store);
      hub.reset();
    },
    async close() {
      await agent.stop();
      if (ownHub) await hub.close();
      await dropDatabase();
      await fs.rm(root, { recursive: true, force: true });
    },
  };
  return t;
}

/** A token signed with any key and claims: for the refusal tests. */
export async function craftToken(
  key: CryptoKey,
  claims: Record<string, unknown>,
  options: { kid?: string; iss?: string; aud?: string; exp?: number | string; alg?: string },
): Promise<string> {
  let jwt = new SignJWT(claims)
    .setProtectedHeader({
      alg: options.alg ?? "EdDSA",
      ...(options.kid ? { kid: options.kid } : {}),
    })
    .setIssuedAt();
  if (options.iss) jwt = jwt.setIssuer(options.iss);
  if (options.aud) jwt = jwt.setAudience(options.aud);
  if (options.exp !== undefined) jwt = jwt.setExpirationTime(options.exp);
  return jwt.sign(key);
}
