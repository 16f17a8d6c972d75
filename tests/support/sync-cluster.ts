import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createHub, type Hub, type HubConfig, issueHubToken, loadHubConfig } from "@maillage/hub";
import {
  type Agent,
  type AgentConfig,
  createAgent,
  DEFAULT_SYNC_SETTINGS,
  type FetchLike,
  initAgent,
  issueAgentToken,
  loadAgentConfig,
} from "@maillage/node-agent";
import { openSqlStore } from "@maillage/storage";
import { createThrowawayDatabase, seedPgliteStore } from "@maillage/storage/testing";
import { pino } from "pino";
import { WebSocket } from "ws";
import { hubMigrations } from "../../packages/hub/src/migrate.ts";
import type { GraphQLResponse } from "../../packages/hub/src/testing/fixture.ts";
import { agentMigrations } from "../../packages/node-agent/src/store/migrations.ts";

/**
 * A real hub and real node agents in one process, for the end-to-end sync suites: the hub
 * listens on a real port (agents reach it over HTTP and graphql-ws, as in production) and can
 * be stopped and started again on the same storage and the same port; an agent can be stopped
 * and started again on its store, and its graphql-ws sockets dropped.
 *
 * Storage per backend: "pglite" puts the hub and each agent in an embedded PGlite under their
 * temp data dirs; "postgres" gives each one a throwaway database on the integration server.
 */
export type Backend = "pglite" | "postgres";

export type GqlResult<T> = GraphQLResponse<T> & { status: number };

const silent = pino({ level: "silent" });

/** Sync settings for the end-to-end suites: fast retries, live follow, no periodic pull. */
export const E2E_SYNC_SETTINGS: AgentConfig["sync"] = {
  ...DEFAULT_SYNC_SETTINGS,
  backoff: { baseMs: 20, capMs: 250 },
  pollIntervalMs: 600_000,
  pullLimit: 200,
  pushBatch: 200,
  subscribe: true,
};

/** Something to undo at the end of a test: closed in reverse order of registration. */
export type Cleanup = { close(): Promise<void> };

/** Collects what a test starts, and closes all of it (even when one close fails). */
export class Resources {
  private readonly items: Cleanup[] = [];

  add<T extends Cleanup>(item: T): T {
    this.items.push(item);
    return item;
  }

  async closeAll(): Promise<void> {
    const items = this.items.splice(0).reverse();
    const failures: unknown[] = [];
    for (const item of items) {
      try {
        await item.close();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, "cleanup failed");
  }
}

/** A port free right now on 127.0.0.1 (for a hub that must come back on the same port). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function throwawayStorage(backend: Backend, prefix: string) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  if (backend === "pglite") {
    return {
      dataDir,
      databaseUrl: undefined,
      drop: () => fs.rm(dataDir, { recursive: true, force: true }),
    };
  }
  const db = await createThrowawayDatabase();
  return {
    dataDir,
    databaseUrl: db.url,
    async drop() {
      await db.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------------------------- hub

export type ClusterHub = Cleanup & {
  /** The running hub instance (throws while the hub is down). */
  readonly hub: Hub;
  readonly running: boolean;
  /** Fixed for the hub's whole life: agents keep the URL they enrolled with. */
  readonly url: string;
  readonly config: HubConfig;
  /** An operation at the running hub, in process (yoga.fetch). */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<GqlResult<T>>;
  /** SQL on the hub's storage (the hub must be running). */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  national(): Promise<string>;
  admin(fabriqueId: string): Promise<string>;
  /** Registers a fabrique (national body); its raw id and Relay id. */
  createFabrique(name: string, communeCode?: string): Promise<{ id: string; globalId: string }>;
  /** Stops the hub: sockets cut, storage closed. The data stays. */
  stop(): Promise<void>;
  /** A new hub on the same storage, keys and port. */
  start(): Promise<void>;
  /**
   * An empty embedded database, created once per cluster: a new PGlite agent starts from a
   * copy (about 1 s) instead of running initdb (about 3 s). Under vitest the agents start
   * from the run's migrated template instead (seedPgliteStore); this serves the benches.
   */
  pgliteTemplate(): Promise<string>;
};

export async function startClusterHub(backend: Backend): Promise<ClusterHub> {
  const storage = await throwawayStorage(backend, "maillage-e2e-hub-");
  let current: Hub | undefined;
  try {
    if (backend === "pglite") await seedPgliteStore(storage.dataDir, await hubMigrations());
    const port = await freePort();
    const config = loadHubConfig(
      {},
      {
        dataDir: storage.dataDir,
        databaseUrl: storage.databaseUrl,
        host: "127.0.0.1",
        port,
        logLevel: "silent",
      },
    );
    let nationalToken: string | undefined;
    let template: Promise<string> | undefined;

    async function start() {
      if (current) return;
      const hub = await createHub(config, { logger: silent });
      // The port was just released by the previous hub: retry briefly if the OS lags.
      for (let attempt = 0; ; attempt++) {
        try {
          await hub.start();
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 50) {
            await hub.stop();
            throw error;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      current = hub;
    }

    const self: ClusterHub = {
      get hub() {
        if (!current) throw new Error("the hub is down");
        return current;
      },
      get running() {
        return current !== undefined;
      },
      url: `http://127.0.0.1:${port}`,
      config,
      async gql(query, variables, token) {
        const response = await self.hub.fetch("http://hub.test/graphql", {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({ query, variables }),
        });
        return { status: response.status, ...((await response.json()) as GraphQLResponse<never>) };
      },
      query: (sql, params) => self.hub.db.store.query(sql, params),
      async national() {
        nationalToken ??= await issueHubToken(config, { role: "NATIONAL" }, "2h");
        return nationalToken;
      },
      admin: (fabriqueId) => issueHubToken(config, { role: "FABRIQUE_ADMIN", fabriqueId }, "2h"),
      async createFabrique(name, communeCode = "07186") {
        const r = await self.gql<{ createFabrique: { id: string } }>(
          "mutation($i: CreateSpaceInput!) { createFabrique(input: $i) { id } }",
          { i: { name, communeCode } },
          await self.national(),
        );
        const globalId = r.data?.createFabrique.id;
        if (!globalId) throw new Error(`createFabrique: ${JSON.stringify(r.errors)}`);
        return { id: globalId, globalId };
      },
      async stop() {
        const hub = current;
        current = undefined;
        await hub?.stop();
      },
      start,
      pgliteTemplate() {
        template ??= (async () => {
          const dir = path.join(storage.dataDir, "agent-template");
          const store = await openSqlStore({ databaseUrl: undefined, dataDir: dir });
          await store.close();
          return path.join(dir, "pgdata");
        })();
        return template;
      },
      async close() {
        try {
          await self.stop();
        } finally {
          await storage.drop();
        }
      },
    };
    await start();
    return self;
  } catch (error) {
    await current?.stop();
    await storage.drop();
    throw error;
  }
}

// ----------------------------------------------------------------------------------- agent

/**
 * The `ws` WebSocket, with every socket it opens remembered: a test can cut them all (a
 * dropped link, seen by both ends) and refuse new ones for a while.
 */
export function trackedWebSocket() {
  const sockets = new Set<WebSocket>();
  let refusing = false;
  class TrackedWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      sockets.add(this);
      this.once("close", () => sockets.delete(this));
      if (refusing) this.terminate();
    }
  }
  return {
    impl: TrackedWebSocket,
    /** Sockets currently open (handshake done). */
    open: () => [...sockets].filter((s) => s.readyState === WebSocket.OPEN).length,
    /** Cuts every socket at once, without a closing handshake. */
    drop() {
      for (const socket of sockets) socket.terminate();
    },
    /** While true, every new socket is cut as it opens. */
    refuse(value: boolean) {
      refusing = value;
    },
  };
}

export type ClusterAgent = Cleanup & {
  readonly name: string;
  /** The running agent (throws while it is stopped). */
  readonly agent: Agent;
  readonly running: boolean;
  readonly nodeId: string;
  /** The fabrique it runs, raw and Relay id. */
  readonly fabriqueId: string;
  readonly fabriqueGlobalId: string;
  readonly sockets: ReturnType<typeof trackedWebSocket>;
  /** An operation at the agent's GraphQL API, in process, as the fabrique's team. */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GqlResult<T>>;
  /** SQL on the agent's store (the agent must be running). */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Builds the agent on its store and starts it (API on port 0, sync engine). */
  start(options?: { startSync?: boolean }): Promise<void>;
  /** Stops the engine (requests in flight aborted), the API and the store. */
  stop(): Promise<void>;
};

export type ClusterAgentOptions = {
  name: string;
  backend: Backend;
  sync?: Partial<AgentConfig["sync"]>;
  /** How the agent reaches the hub over HTTP (default: the global fetch); tests spy on it. */
  fetch?: FetchLike;
  /** The fabrique to enrol for; default: a new one named after the agent. */
  fabrique?: { id: string; globalId: string };
  communeCode?: string;
  /** Start at once (default true). */
  start?: boolean;
  /** The agent's clock (default: the real one). */
  now?: () => Date;
};

/** Enrols a new agent with the hub (one-time code, Ed25519 key) and starts it. */
export async function startClusterAgent(
  hub: ClusterHub,
  options: ClusterAgentOptions,
): Promise<ClusterAgent> {
  const fabrique =
    options.fabrique ??
    (await hub.createFabrique(`Fabrique ${options.name}`, options.communeCode ?? "07186"));
  const code = await hub.gql<{ createEnrolmentCode: { code: string } }>(
    "mutation($f: ID!) { createEnrolmentCode(fabriqueId: $f) { code } }",
    { f: fabrique.globalId },
    await hub.national(),
  );
  const enrolmentCode = code.data?.createEnrolmentCode.code;
  if (!enrolmentCode) throw new Error(`createEnrolmentCode: ${JSON.stringify(code.errors)}`);

  const storage = await throwawayStorage(options.backend, `maillage-e2e-${options.name}-`);
  let current: Agent | undefined;
  try {
    const dataDir = path.join(storage.dataDir, "agent");
    const identity = await initAgent({ dataDir, hubUrl: hub.url, code: enrolmentCode });
    if (
      options.backend === "pglite" &&
      !(await seedPgliteStore(dataDir, await agentMigrations()))
    ) {
      await fs.cp(await hub.pgliteTemplate(), path.join(dataDir, "pgdata"), { recursive: true });
    }
    const admin = await issueAgentToken({ dataDir, role: "FABRIQUE_ADMIN", ttl: "2h" });
    const config = loadAgentConfig(
      {},
      {
        dataDir,
        databaseUrl: storage.databaseUrl,
        host: "127.0.0.1",
        port: 0,
        logLevel: "silent",
        sync: { ...E2E_SYNC_SETTINGS, ...options.sync },
      },
    );
    const sockets = trackedWebSocket();

    const self: ClusterAgent = {
      name: options.name,
      get agent() {
        if (!current) throw new Error(`agent ${options.name} is stopped`);
        return current;
      },
      get running() {
        return current !== undefined;
      },
      nodeId: identity.nodeId,
      fabriqueId: identity.fabriqueId,
      fabriqueGlobalId: fabrique.globalId,
      sockets,
      async gql(query, variables) {
        const response = await self.agent.fetch("http://agent.test/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
          body: JSON.stringify({ query, variables }),
        });
        return { status: response.status, ...((await response.json()) as GraphQLResponse<never>) };
      },
      query: (sql, params) => self.agent.store.query(sql, params),
      async start({ startSync = true } = {}) {
        if (current) return;
        const agent = await createAgent(config, {
          logger: silent,
          fetch: options.fetch,
          webSocketImpl: sockets.impl,
          now: options.now,
        });
        current = agent;
        if (startSync) await agent.start();
      },
      async stop() {
        const agent = current;
        current = undefined;
        await agent?.stop();
      },
      async close() {
        try {
          await self.stop();
        } finally {
          await storage.drop();
        }
      },
    };
    if (options.start !== false) await self.start();
    return self;
  } catch (error) {
    await current?.stop();
    await storage.drop();
    throw error;
  }
}

// ------------------------------------------------------------------------------ the state

export type SpaceState = {
  id: string;
  kind: string;
  name: string;
  communeCode: string;
  services: string[];
  openingHours: unknown;
  status: string;
  fabriqueId: string | null;
};
export type MemberState = { id: string; homeSpaceId: string };

type SpaceRow = {
  id: string;
  kind: string;
  name: string;
  commune_code: string;
  services: string[] | null;
  opening_hours: unknown;
  status: string;
  fabrique_id: string | null;
};

function spaceState(row: SpaceRow): SpaceState {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    communeCode: row.commune_code,
    services: row.services ?? [],
    openingHours: row.opening_hours ?? [],
    status: row.status,
    fabriqueId: row.fabrique_id,
  };
}

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * A fabrique's network at the hub — its spaces and the members homed there — each record with
 * the node that owns it (null: the hub).
 */
export async function hubNetwork(hub: ClusterHub, fabriqueId: string) {
  const spaces = await hub.query<SpaceRow & { owner_node_id: string | null }>(
    `SELECT id, kind::text AS kind, name, commune_code, services, opening_hours,
            status::text AS status, fabrique_id, owner_node_id
     FROM space WHERE id = $1 OR fabrique_id = $1`,
    [fabriqueId],
  );
  const members = await hub.query<{ id: string; home_space_id: string; owner_node_id: string }>(
    `SELECT m.id, m.home_space_id, m.owner_node_id FROM member m
     JOIN space s ON s.id = m.home_space_id WHERE s.id = $1 OR s.fabrique_id = $1`,
    [fabriqueId],
  );
  return {
    spaces: spaces.map((r) => ({ ...spaceState(r), owner: r.owner_node_id })).sort(byId),
    members: members
      .map((r) => ({ id: r.id, homeSpaceId: r.home_space_id, owner: r.owner_node_id }))
      .sort(byId),
  };
}

/** The records a node owns at the hub, as replicated state. */
export async function hubOwnedBy(hub: ClusterHub, nodeId: string) {
  const spaces = await hub.query<SpaceRow>(
    `SELECT id, kind::text AS kind, name, commune_code, services, opening_hours,
            status::text AS status, fabrique_id
     FROM space WHERE owner_node_id = $1`,
    [nodeId],
  );
  const members = await hub.query<{ id: string; home_space_id: string }>(
    "SELECT id, home_space_id FROM member WHERE owner_node_id = $1",
    [nodeId],
  );
  return {
    spaces: spaces.map(spaceState).sort(byId),
    members: members.map((r) => ({ id: r.id, homeSpaceId: r.home_space_id })).sort(byId),
  };
}

/** What an agent holds: the records it owns, or its reference copies (`owned` false). */
export async function agentRecords(
  agent: ClusterAgent,
  filter: { owned: boolean; fabriqueId?: string },
) {
  const network = filter.fabriqueId ?? null;
  const spaces = await agent.query<SpaceRow>(
    `SELECT id, kind, name, commune_code, services, opening_hours, status, fabrique_id
     FROM space WHERE owned = $1 AND ($2::text IS NULL OR id = $2 OR fabrique_id = $2)`,
    [filter.owned, network],
  );
  const members = await agent.query<{ id: string; home_space_id: string }>(
    `SELECT m.id, m.home_space_id FROM member m
     WHERE m.owned = $1 AND ($2::text IS NULL OR EXISTS (
       SELECT 1 FROM space s WHERE s.id = m.home_space_id AND (s.id = $2 OR s.fabrique_id = $2)))`,
    [filter.owned, network],
  );
  return {
    spaces: spaces.map(spaceState).sort(byId),
    members: members.map((r) => ({ id: r.id, homeSpaceId: r.home_space_id })).sort(byId),
  };
}

/** The hub's log end: the offset a caught-up agent's cursor reaches. */
export async function hubLogEnd(hub: ClusterHub): Promise<string> {
  const rows = await hub.query<{ end: string }>(
    `SELECT coalesce(max("offset"), 0)::text AS "end" FROM change_log`,
  );
  return rows[0]?.end ?? "0";
}

/** What the hub recorded of one node's pushes: events, distinct seqs, highest seq. */
export async function hubLogOf(hub: ClusterHub, nodeId: string) {
  const rows = await hub.query<{ events: number; seqs: number; ids: number; top: number | null }>(
    `SELECT count(*)::int AS events, count(DISTINCT seq)::int AS seqs,
            count(DISTINCT event_id)::int AS ids, max(seq)::int AS top
     FROM change_log WHERE origin_node_id = $1`,
    [nodeId],
  );
  const node = await hub.query<{ pushed_seq: number }>(
    "SELECT pushed_seq FROM node WHERE id = $1",
    [nodeId],
  );
  return { ...(rows[0] as (typeof rows)[number]), pushedSeq: node[0]?.pushed_seq ?? null };
}

/**
 * Brings every agent level with the hub: push until the outbox is empty, pull until the cursor
 * is the log's end, again until a round changes nothing (an agent's push is news for the other).
 */
export async function settle(hub: ClusterHub, agents: ClusterAgent[], rounds = 20): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    let quiet = true;
    for (const a of agents) {
      const pushed = await a.agent.sync.flush();
      if (pushed.kind !== "idle") throw new Error(`${a.name}: push ${JSON.stringify(pushed)}`);
      if (pushed.pushed > 0) quiet = false;
    }
    const end = await hubLogEnd(hub);
    for (const a of agents) {
      const pulled = await a.agent.sync.pullNow();
      if (pulled.kind !== "caught-up") throw new Error(`${a.name}: pull ${JSON.stringify(pulled)}`);
      const status = await a.agent.sync.status();
      if (status.pullCursor !== end || status.outboxPending > 0) quiet = false;
    }
    if (quiet && (await hubLogEnd(hub)) === end) return;
  }
  throw new Error(`the agents did not settle in ${rounds} rounds`);
}

// ------------------------------------------------------------------------- the wire, spied

/** One HTTP request of an agent to the hub, as the agent sent it and as the hub answered. */
export type HubCall = {
  /** The GraphQL operation name (PushChanges, PullChanges, ...). */
  operation: string;
  variables: Record<string, unknown>;
  at: number;
  /** performance.now() when the answer came back (undefined: no answer). */
  answeredAt?: number;
  /** The operation's answer when the hub answered it without errors; undefined otherwise. */
  answer?: unknown;
};

/**
 * A fetch for an agent that records its requests to the hub (the global fetch does the work,
 * over the real socket): which operations, when, with what cursor, and what came back.
 */
export function recordHubCalls() {
  const calls: HubCall[] = [];
  const fetch: FetchLike = async (input, init) => {
    const body =
      typeof init?.body === "string"
        ? (JSON.parse(init.body) as { query?: string; variables?: Record<string, unknown> })
        : {};
    const operation = /^\s*(?:query|mutation)\s+(\w+)/.exec(body.query ?? "")?.[1] ?? "unknown";
    const call: HubCall = { operation, variables: body.variables ?? {}, at: performance.now() };
    calls.push(call);
    const response = await globalThis.fetch(input, init);
    const answer = (await response
      .clone()
      .json()
      .catch(() => undefined)) as { data?: Record<string, unknown>; errors?: unknown } | undefined;
    call.answeredAt = performance.now();
    if (response.ok && answer?.data && !answer.errors) {
      const field = operation.charAt(0).toLowerCase() + operation.slice(1);
      call.answer = answer.data[field];
    }
    return response;
  };
  return {
    fetch,
    calls,
    of: (operation: string) => calls.filter((c) => c.operation === operation),
  };
}
