import { generateKeyPairSync, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { HubConfig } from "@maillage/hub";
import type {
  ActivityImportOutcome,
  AgentConfig,
  InitAgentOptions,
  NodeIdentity,
  SyncStatus,
} from "@maillage/node-agent";
import { DEFAULT_GRAPHQL_LIMITS, MaillageError } from "@maillage/schema";
import type { AgentApi, AgentLifecycle, CliContext, HubApi, HubLifecycle } from "./context.ts";

/** A stand-in for the hub's API: records calls, never opens a database or a port. */
class FakeSeedRefusedError extends Error {}

export function fakeHubApi(
  options: {
    seeded?: boolean;
    createHangs?: boolean;
    startFails?: Error;
    /** The kids in the key file, oldest first; `null`: no key file. */
    kids?: string[] | null;
    /** Shared with fakeAgentApi to see the order of stops. */
    events?: string[];
    seedRefused?: boolean;
    /** Hubs already running: their URL by data dir, as in their run files. */
    running?: Record<string, string>;
    /** What `rebuildHubRollups` throws (a refusal), and its attempts otherwise. */
    rebuildRefused?: Error;
    rebuildAttempts?: number;
  } = {},
) {
  const calls = {
    seed: [] as string[],
    createHub: [] as HubConfig[],
    /** GraphQL operations sent to the hub in process, by operation name. */
    graphql: [] as { operation: string; variables: Record<string, unknown> }[],
    started: 0,
    stopped: 0,
    tokens: [] as { config: HubConfig; claims: unknown; ttl: string }[],
    /** Sign-in links asked for (`hub login-link`, the demo's banner). */
    loginLinks: [] as { config: HubConfig; request: unknown; baseUrl: string }[],
    /** Every key file operation, as `<operation> <dataDir> [kid]`. */
    keyFile: [] as string[],
    /** `hub rebuild-rollups`: where each rebuild went (DATABASE_URL or the data dir). */
    rebuilds: [] as string[],
  };
  /** The run files `hub start` wrote, by data dir (the real ones live in `<dataDir>/hub.run.json`). */
  const runFiles = new Map<string, { url: string; pid: number; startedAt: string }>(
    Object.entries(options.running ?? {}).map(([dataDir, url]) => [
      dataDir,
      { url, pid: 1, startedAt: "2025-01-01T00:00:00.000Z" },
    ]),
  );
  let keys =
    options.kids === null
      ? undefined
      : (options.kids ?? ["kid-1"]).map((kid, i) => ({
          kid,
          createdAt: new Date(Date.UTC(2025, 0, i + 1)).toISOString(),
        }));
  const existingKeys = (dataDir: string) => {
    if (keys === undefined) {
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${dataDir}'`), {
        code: "ENOENT",
      });
    }
    return keys;
  };
  const keyFilePath = (dataDir: string) => `${dataDir}/keys/signing-keys.json`;
  class ConfigError extends Error {}
  const api = {
    ConfigError,
    loadHubConfig: (
      env: Record<string, string | undefined>,
      overrides: Partial<HubConfig> = {},
    ) => {
      if (env.PORT !== undefined && !/^\d+$/.test(env.PORT)) {
        throw new ConfigError("invalid environment: PORT: expected a number");
      }
      return {
        databaseUrl: env.DATABASE_URL,
        redisUrl: env.REDIS_URL,
        port: env.PORT === undefined ? 4000 : Number(env.PORT),
        host: "127.0.0.1",
        dataDir: path.join(env.DATA_DIR ?? "/data/.maillage", "hub"),
        logLevel: "info",
        issuer: "maillage-hub",
        audience: "maillage",
        signingKeysJson: env.HUB_SIGNING_KEYS || undefined,
        graphqlLimits: DEFAULT_GRAPHQL_LIMITS,
        webDir: "/data/web/dist",
        ...overrides,
      } as HubConfig;
    },
    createHub: async (config: HubConfig): Promise<HubLifecycle> => {
      calls.createHub.push(config);
      if (options.createHangs) await new Promise(() => {});
      return {
        config,
        start: async () => {
          calls.started += 1;
          if (options.startFails) throw options.startFails;
          return { url: `http://${config.host}:${config.port}`, port: config.port };
        },
        stop: async () => {
          calls.stopped += 1;
          options.events?.push("stop hub");
        },
        fetch: async (_input, init) => {
          const { query, variables } = JSON.parse(String(init?.body)) as {
            query: string;
            variables: Record<string, unknown>;
          };
          const operation = /^(?:query|mutation) (\w+)/.exec(query)?.[1] ?? "anonymous";
          calls.graphql.push({ operation, variables });
          if (operation === "DemoFabriques") {
            const names = ["Fabrique A", "Fabrique B", "Fabrique C"];
            return Response.json({
              data: { fabriques: names.map((name, i) => ({ id: `global-${i + 1}`, name })) },
            });
          }
          if (operation === "EnrolDemoAgent") {
            return Response.json({
              data: { createEnrolmentCode: { code: `CODE-${String(variables.f)}` } },
            });
          }
          return Response.json({ errors: [{ message: "unexpected" }] });
        },
      };
    },
    issueHubToken: async (config: HubConfig, claims: unknown, ttl: string) => {
      calls.tokens.push({ config, claims, ttl });
      return "header.payload.signature";
    },
    signWithHubKeys: async (config: HubConfig, claims: unknown, ttl: string) => {
      if (config.signingKeysJson === undefined) existingKeys(keyFilePath(config.dataDir));
      calls.tokens.push({ config, claims, ttl });
      return "header.payload.signature";
    },
    signHubLoginLink: async (config: HubConfig, request: unknown, baseUrl: string) => {
      if (config.signingKeysJson === undefined) existingKeys(keyFilePath(config.dataDir));
      calls.loginLinks.push({ config, request, baseUrl });
      return `${baseUrl}/login?t=hub.link.signature`;
    },
    readHubRun: async (dataDir: string) => runFiles.get(dataDir),
    writeHubRunFile: async (dataDir: string, url: string) => {
      runFiles.set(dataDir, { url, pid: 1, startedAt: new Date().toISOString() });
    },
    removeHubRunFile: async (dataDir: string) => {
      runFiles.delete(dataDir);
    },
    keyFilePath,
    listSigningKeys: async (dataDir: string) => {
      calls.keyFile.push(`list ${dataDir}`);
      return [...existingKeys(dataDir)];
    },
    rotateSigningKey: async (dataDir: string) => {
      calls.keyFile.push(`rotate ${dataDir}`);
      const existing = existingKeys(dataDir);
      const kid = `kid-${existing.length + 1}`;
      keys = [...existing, { kid, createdAt: new Date().toISOString() }];
      return kid;
    },
    removeSigningKey: async (dataDir: string, kid: string) => {
      calls.keyFile.push(`remove ${dataDir} ${kid}`);
      keys = existingKeys(dataDir).filter((key) => key.kid !== kid);
    },
    rebuildHubRollups: async (config: { databaseUrl: string | undefined; dataDir: string }) => {
      calls.rebuilds.push(config.databaseUrl ? "DATABASE_URL" : config.dataDir);
      if (options.rebuildRefused) throw options.rebuildRefused;
      return {
        tables: [
          { table: "activity_rollup" as const, rows: 12_345 },
          { table: "space_commune_rollup" as const, rows: 67 },
        ],
        seconds: 1.234,
        lockedSeconds: 1.2,
        attempts: options.rebuildAttempts ?? 1,
      };
    },
    DEMO_NETWORK: [{ name: "Fabrique B" }, { name: "Fabrique A" }, { name: "Fabrique C" }],
    seedDemoNetwork: async (
      _hub: HubLifecycle,
      seedOptions: Parameters<HubApi["seedDemoNetwork"]>[1] = {},
    ) => {
      calls.seed.push(`seedDemoNetwork nodes=${seedOptions.nodes ?? 0}`);
      const seeded = options.seeded ?? true;
      const history = { from: "2025-01-01", to: "2025-12-31", reports: 5000 };
      return {
        seeded,
        fabriques: 3,
        satellites: 14,
        ...(seeded ? { history: { ...history, bookings: 4000, crossNode: 300, loans: 40 } } : {}),
      };
    },
    /** Never opens a database: records the first start's copies (`copy <dataDir>`). */
    prepareDemoStorage: async (_hubDataDir: string) => ({
      created: options.seeded ?? true,
      copyTo: async (dataDir: string) => {
        calls.seed.push(`copy ${dataDir}`);
      },
    }),
    SeedRefusedError: FakeSeedRefusedError as unknown as HubApi["SeedRefusedError"],
    seedHub: async (_hub: HubLifecycle, seedOptions: Parameters<HubApi["seedHub"]>[1]) => {
      calls.seed.push(`seedHub ${seedOptions.scale} force=${seedOptions.force === true}`);
      if (options.seedRefused)
        throw new FakeSeedRefusedError(
          "the hub already holds 21 spaces; --force empties them first",
        );
      seedOptions.onProgress?.(1, 2, "spaces");
      seedOptions.onProgress?.(2, 2, "reports");
      return {
        fabriques: 30,
        satellites: 300,
        nodes: 30,
        reports: 1234,
        rollups: 99,
        resources: 120,
        bookings: 480,
        from: "2024-11-23",
        to: "2026-11-21",
        seconds: 2.5,
      };
    },
  } satisfies HubApi;
  return { api, calls, runFiles };
}

export const FAKE_STATUS: SyncStatus = {
  nodeId: "node-1",
  fabriqueId: "fab-1",
  outboxPending: 0,
  oldestPendingAt: null,
  lastPushAt: "2025-01-01T10:00:00.000Z",
  lastPullAt: "2025-01-01T10:00:01.000Z",
  pullCursor: "42",
  hubReachable: true,
  lagSeconds: 0,
  poisoned: null,
  lastError: null,
  lastErrorAt: null,
};

/**
 * A stand-in for the node agent's API: records calls, never opens a database or a port.
 * `enrolled` lists the data dirs that already hold a node identity.
 */
/**
 * A demo agent's GraphQL endpoint, as far as the demo uses it: its satellites, members it
 * registers, trainings it creates (seats taken up to capacity, then a waitlist) and enrolments.
 */
export function fakeAgentGraphQL() {
  const trainings = new Map<
    string,
    { id: string; title: string; capacity: number; seats: { taken: number; waitlisted: number } }
  >();
  let next = 0;
  return async (_input: unknown, init?: RequestInit): Promise<Response> => {
    const { query, variables } = JSON.parse(String(init?.body)) as {
      query: string;
      variables?: Record<string, unknown>;
    };
    const operation = /^(?:query|mutation) (\w+)/.exec(query)?.[1] ?? "anonymous";
    const vars = variables ?? {};
    switch (operation) {
      case "DemoMember":
        next += 1;
        return Response.json({ data: { registerMember: { id: `member-${next}` } } });
      case "DemoTraining": {
        const input = vars.i as { title: string; capacity: number };
        next += 1;
        const training = {
          id: `training-${next}`,
          title: input.title,
          capacity: input.capacity,
          seats: { taken: 0, waitlisted: 0 },
        };
        trainings.set(training.id, training);
        return Response.json({ data: { createTraining: [training] } });
      }
      case "DemoEnrol": {
        const training = trainings.get(String(vars.t));
        if (!training) return Response.json({ errors: [{ message: "no training" }] });
        const enrolled = training.seats.taken < training.capacity;
        if (enrolled) training.seats.taken += 1;
        else training.seats.waitlisted += 1;
        return Response.json({
          data: { enrol: { id: `e-${next}`, status: enrolled ? "ENROLLED" : "WAITLISTED" } },
        });
      }
      case "DemoSeats":
      case "DemoReplica":
        return Response.json({ data: { training: trainings.get(String(vars.id)) ?? null } });
      case "DemoTariff":
        return Response.json({ data: { setTariff: { validFrom: vars.f } } });
      case "DemoPass":
        next += 1;
        return Response.json({ data: { renewPass: { shortCode: `CODE-${next}` } } });
      case "DemoCheckIn":
        next += 1;
        return Response.json({ data: { checkIn: { id: `visit-${next}` } } });
      default:
        return Response.json({
          data: {
            satellites: [
              { id: "satellite-1", owned: true },
              { id: "satellite-2", owned: true },
            ],
          },
        });
    }
  };
}

export function fakeAgentApi(
  options: {
    enrolled?: string[];
    initFails?: Error;
    startFails?: Error;
    /** Shared with fakeHubApi to see the order of stops. */
    events?: string[];
  } = {},
) {
  const enrolled = new Set(options.enrolled ?? []);
  // One network: what the first agent creates, the second finds (as the hub would relay it).
  const agentGraphQL = fakeAgentGraphQL();
  const calls = {
    init: [] as InitAgentOptions[],
    createAgent: [] as AgentConfig[],
    started: [] as string[],
    stopped: [] as string[],
    tokens: [] as Record<string, unknown>[],
    /** Sign-in links asked for (`agent login-link`, the demo's banner). */
    loginLinks: [] as Record<string, unknown>[],
    status: [] as string[],
    imports: [] as { dataDir: string; csv: string }[],
  };
  class ConfigError extends Error {}
  class AlreadyEnrolledError extends Error {
    constructor(
      readonly dataDir: string,
      readonly nodeId: string,
    ) {
      super(`${dataDir} already holds node ${nodeId}; an agent enrols once.`);
    }
  }
  class InitInProgressError extends Error {
    constructor(readonly dataDir: string) {
      super(`another \`maillage agent init\` is running on ${dataDir}`);
    }
  }
  class AgentNotRunningError extends Error {
    constructor(
      message: string,
      readonly url: string | undefined,
    ) {
      super(message);
    }
  }
  class AgentStatusError extends Error {
    constructor(
      message: string,
      readonly status: number,
      readonly code: string | undefined,
    ) {
      super(message);
    }
  }
  const identityOf = (dataDir: string): NodeIdentity => ({
    nodeId: `node-${path.basename(dataDir)}`,
    fabriqueId: `fab-${path.basename(dataDir)}`,
    fabriqueName: `Fabrique ${path.basename(dataDir)}`,
    hubUrl: "http://127.0.0.1:4000",
    enrolledAt: "2025-01-01T00:00:00.000Z",
  });
  const api = {
    ConfigError,
    AlreadyEnrolledError,
    InitInProgressError,
    AgentNotRunningError,
    AgentStatusError,
    AgentRole: { options: ["FABRIQUE_ADMIN", "SATELLITE", "MEMBER"] as const },
    loadAgentConfig: (
      env: Record<string, string | undefined>,
      overrides: Partial<AgentConfig> = {},
    ): AgentConfig => {
      if (env.PORT !== undefined && !/^\d+$/.test(env.PORT)) {
        throw new ConfigError("invalid environment: PORT: expected a number");
      }
      return {
        databaseUrl: env.DATABASE_URL,
        port: env.PORT === undefined ? 4100 : Number(env.PORT),
        host: "127.0.0.1",
        dataDir: "/data/.maillage/agent",
        hubUrl: env.HUB_URL,
        logLevel: "info",
        hubAudience: "maillage",
        sync: {
          backoff: { baseMs: 500, capMs: 30_000 },
          pollIntervalMs: 30_000,
          pullLimit: 1000,
          pushBatch: 1000,
          subscribe: true,
        },
        ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
      };
    },
    initAgent: async (init: InitAgentOptions) => {
      calls.init.push(init);
      if (options.initFails) throw options.initFails;
      if (enrolled.has(init.dataDir)) {
        throw new AlreadyEnrolledError(init.dataDir, identityOf(init.dataDir).nodeId);
      }
      enrolled.add(init.dataDir);
      return identityOf(init.dataDir);
    },
    readNodeIdentity: async (dataDir: string) =>
      enrolled.has(dataDir) ? identityOf(dataDir) : undefined,
    issueAgentToken: async (request: { dataDir: string } & Record<string, unknown>) => {
      calls.tokens.push(request);
      if (!enrolled.has(request.dataDir)) {
        throw new MaillageError("NOT_ENROLLED", `no node identity in ${request.dataDir}`);
      }
      return "agent.header.payload";
    },
    issueAgentLoginLink: async (
      request: { dataDir: string; baseUrl: string } & Record<string, unknown>,
    ) => {
      calls.loginLinks.push(request);
      if (!enrolled.has(request.dataDir)) {
        throw new MaillageError("NOT_ENROLLED", `no node identity in ${request.dataDir}`);
      }
      return `${request.baseUrl}/login?t=agent.link.${String(request.role)}`;
    },
    runningAgentUrl: async (dataDir: string) => {
      throw new AgentNotRunningError(`the agent of ${dataDir} is not running`, undefined);
    },
    fetchAgentStatus: async ({ dataDir }: { dataDir: string }) => {
      calls.status.push(dataDir);
      return FAKE_STATUS;
    },
    sendActivityImport: async ({
      dataDir,
      csv,
    }: {
      dataDir: string;
      csv: string;
    }): Promise<ActivityImportOutcome> => {
      calls.imports.push({ dataDir, csv });
      const rows = csv.trim().split(/\r?\n/).length - 1;
      return { ok: true, imported: rows, emitted: rows };
    },
    createAgent: async (config: AgentConfig): Promise<AgentLifecycle> => {
      calls.createAgent.push(config);
      if (!enrolled.has(config.dataDir)) {
        throw new MaillageError("NOT_ENROLLED", `no node identity in ${config.dataDir}`);
      }
      const port = config.port === 0 ? 40_000 + calls.createAgent.length : config.port;
      return {
        config,
        identity: identityOf(config.dataDir),
        start: async () => {
          calls.started.push(config.dataDir);
          if (options.startFails) throw options.startFails;
          return { url: `http://${config.host}:${port}`, port };
        },
        stop: async () => {
          calls.stopped.push(config.dataDir);
          options.events?.push(`stop agent ${path.basename(config.dataDir)}`);
        },
        sync: { status: async () => FAKE_STATUS },
        fetch: agentGraphQL,
      };
    },
  } satisfies AgentApi;
  return { api, calls, enrolled, classes: { AgentNotRunningError, AgentStatusError } };
}

/** A context that captures output; `stop()` plays the part of Ctrl-C. */
export function fakeContext(
  api: HubApi,
  env: Record<string, string | undefined> = {},
  agentApi: AgentApi = fakeAgentApi().api,
) {
  let stop: (signal: string) => void = () => {};
  const stopSignal = new Promise<string>((resolve) => {
    stop = resolve;
  });
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    env,
    cwd: "/work/here",
    untilStopSignal: () => stopSignal,
    loadHubClient: async () => api,
    loadAgentClient: async () => agentApi,
    loadHub: async () => api,
    loadAgent: async () => agentApi,
  };
  return {
    ctx,
    stdout: () => out.join(""),
    stderr: () => err.join(""),
    stop: (signal = "SIGINT") => stop(signal),
  };
}

/**
 * Captured output, everything else real: `main(argv, io)` then loads the real hub and agent
 * APIs, for tests of what the commands do to real files.
 */
export function capturedIo(env: Record<string, string | undefined> = {}, cwd = process.cwd()) {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    stdout: (text: string) => {
      out.push(text);
    },
    stderr: (text: string) => {
      err.push(text);
    },
    env,
    cwd,
  } satisfies Partial<CliContext>;
  return { io, stdout: () => out.join(""), stderr: () => err.join("") };
}

/** The hub's signing keys as its key file and HUB_SIGNING_KEYS hold them: one new Ed25519 key. */
export function hubSigningKeysJson(): string {
  const { privateKey } = generateKeyPairSync("ed25519");
  const privateJwk = privateKey.export({ format: "jwk" });
  return JSON.stringify({
    keys: [{ kid: randomUUID(), createdAt: new Date().toISOString(), privateJwk }],
  });
}

/** A hub's data dir as its first start leaves it, as far as the CLI reads it: the key file. */
export async function writeHubKeyFile(dataDir: string): Promise<void> {
  await fs.mkdir(path.join(dataDir, "keys"), { recursive: true, mode: 0o700 });
  await fs.writeFile(path.join(dataDir, "keys", "signing-keys.json"), hubSigningKeysJson(), {
    mode: 0o600,
  });
}
