import type { HubConfig } from "@maillage/hub";
import type { CliContext, HubApi, HubLifecycle } from "./context.ts";

/** A stand-in for the hub's API: records calls, never opens a database or a port. */
export function fakeHubApi(
  options: {
    seeded?: boolean;
    createHangs?: boolean;
    startFails?: Error;
    /** The kids in the key file, oldest first; `null`: no key file. */
    kids?: string[] | null;
  } = {},
) {
  const calls = {
    createHub: [] as HubConfig[],
    started: 0,
    stopped: 0,
    tokens: [] as { config: HubConfig; claims: unknown; ttl: string }[],
    /** Every key file operation, as `<operation> <dataDir> [kid]`. */
    keyFile: [] as string[],
  };
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
        dataDir: "/data/.maillage/hub",
        logLevel: "info",
        issuer: "maillage-hub",
        audience: "maillage",
        signingKeysJson: env.HUB_SIGNING_KEYS || undefined,
        ...overrides,
      } satisfies HubConfig;
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
        },
      };
    },
    issueHubToken: async (config: HubConfig, claims: unknown, ttl: string) => {
      calls.tokens.push({ config, claims, ttl });
      return "header.payload.signature";
    },
    keyFilePath: (dataDir: string) => `${dataDir}/keys/signing-keys.json`,
    listSigningKeys: async (dataDir: string) => {
      calls.keyFile.push(`list ${dataDir}`);
      return [...existingKeys(dataDir)];
    },
    rotateSigningKey: async (dataDir: string) => {
      calls.keyFile.push(`rotate ${dataDir}`);
      const kid = `kid-${(keys?.length ?? 0) + 1}`;
      keys = [...(keys ?? []), { kid, createdAt: new Date().toISOString() }];
      return kid;
    },
    removeSigningKey: async (dataDir: string, kid: string) => {
      calls.keyFile.push(`remove ${dataDir} ${kid}`);
      keys = existingKeys(dataDir).filter((key) => key.kid !== kid);
    },
    seedDemoNetwork: async (_hub: HubLifecycle) => ({
      seeded: options.seeded ?? true,
      fabriques: 3,
      satellites: 14,
    }),
  } satisfies HubApi;
  return { api, calls };
}

/** A context that captures output; `stop()` plays the part of Ctrl-C. */
export function fakeContext(api: HubApi, env: Record<string, string | undefined> = {}) {
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
    loadHub: async () => api,
  };
  return {
    ctx,
    stdout: () => out.join(""),
    stderr: () => err.join(""),
    stop: (signal = "SIGINT") => stop(signal),
  };
}
