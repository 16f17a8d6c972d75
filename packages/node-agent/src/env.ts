import path from "node:path";
import {
  type GraphQLLimits,
  GraphQLLimitsEnv,
  graphqlLimitsFromEnv,
  MetricsEnv,
} from "@maillage/schema";
import { z } from "zod";

/**
 * The node agent's configuration, parsed once from the environment. Nothing else reads
 * `process.env`; tests build a config with `loadAgentConfig({}, { dataDir, port: 0 })`.
 */
const EnvSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(4100),
  HOST: z.string().default("127.0.0.1"),
  DATA_DIR: z.string().default(".maillage"),
  /** The hub's base URL (its GraphQL endpoint is `<HUB_URL>/graphql`); absent: the one stored at init. */
  HUB_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** METRICS_TOKEN (32+ characters): GET /metrics with it as bearer token; unset: 404. */
  ...MetricsEnv,
  /** `aud` of the node tokens the agent signs for the hub (the hub's HUB_AUDIENCE). */
  HUB_AUDIENCE: z.string().min(1).default("maillage"),
  /** How long a member's pass is valid from its issue (docs/mobility.md). */
  PASS_VALIDITY_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  /** How long a visited place keeps the fields a member disclosed at check-in. */
  VISIT_DISCLOSURE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** The built web app served under /app/ (default: packages/web/dist of this checkout). */
  WEB_DIR: z.string().optional(),
  /** Always mark the session cookie Secure (and name it `__Host-…`): set it behind https. */
  COOKIE_SECURE: z.enum(["true", "false", "1", "0"]).optional(),
  /** Believe X-Forwarded-Host (the Origin check): only behind a proxy that sets it itself. */
  TRUST_PROXY: z.enum(["true", "false", "1", "0"]).optional(),
  /** GRAPHQL_MAX_DEPTH, _ALIASES, _TOKENS, _COST, _DIRECTIVES, _BODY_BYTES: see limits.ts. */
  ...GraphQLLimitsEnv,
});

export type LogLevel = z.infer<typeof EnvSchema>["LOG_LEVEL"];

/** Retry timing of the sync engine: capped exponential backoff with full jitter. */
export type BackoffSettings = { baseMs: number; capMs: number };

export type AgentConfig = {
  /** postgresql://… ; absent: embedded PGlite under `<dataDir>/pgdata`. */
  databaseUrl: string | undefined;
  port: number;
  host: string;
  /** The agent's own directory: node identity, key file, embedded database. */
  dataDir: string;
  /** Overrides the hub URL stored in the node identity at init. */
  hubUrl: string | undefined;
  /** METRICS_TOKEN: the bearer token of GET /metrics (docs/metrics.md); unset: disabled. */
  metricsToken?: string | undefined;
  logLevel: LogLevel;
  hubAudience: string;
  /**
   * What every operation of the agent's API must stay within, checked before anything runs
   * (absent: DEFAULT_GRAPHQL_LIMITS).
   */
  graphqlLimits?: GraphQLLimits;
  /** Member mobility (docs/mobility.md): pass validity, retention of disclosed fields. */
  mobility?: { passValidityDays: number; disclosureRetentionDays: number };
  /** The built web app (packages/web/dist), served under /app/ (absent: that default). */
  webDir?: string | undefined;
  /** COOKIE_SECURE: the session cookie is always Secure and named `__Host-…`. */
  cookieSecure?: boolean;
  /** TRUST_PROXY: X-Forwarded-Host names the agent's own host (the Origin check). */
  trustProxy?: boolean;
  sync: {
    backoff: BackoffSettings;
    /** A pull every so often even while the subscription is live: a safety net and a heartbeat. */
    pollIntervalMs: number;
    /** Events asked per pull (at most the protocol's MAX_PULL_LIMIT). */
    pullLimit: number;
    /** Events per push (at most the protocol's MAX_PUSH_BATCH). */
    pushBatch: number;
    /** Follow the hub live over graphql-ws (off: poll only). */
    subscribe: boolean;
  };
};

export const DEFAULT_MOBILITY_SETTINGS: NonNullable<AgentConfig["mobility"]> = {
  passValidityDays: 365,
  disclosureRetentionDays: 30,
};

export const DEFAULT_SYNC_SETTINGS: AgentConfig["sync"] = {
  backoff: { baseMs: 500, capMs: 30_000 },
  pollIntervalMs: 30_000,
  pullLimit: 1000,
  pushBatch: 1000,
  subscribe: true,
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * `DATA_DIR` is the root the CLI shares with the hub: the agent lives in `DATA_DIR/agent`
 * (the demo puts its agents in `DATA_DIR/agents/<name>`); `overrides.dataDir` sets the
 * agent's own directory directly (`--data-dir`).
 */
export function loadAgentConfig(
  env: Record<string, string | undefined>,
  overrides: Partial<AgentConfig> = {},
): AgentConfig {
  const parsed = EnvSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== "")),
  );
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`invalid environment: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR, "agent"),
    hubUrl: e.HUB_URL,
    metricsToken: e.METRICS_TOKEN,
    logLevel: e.LOG_LEVEL,
    hubAudience: e.HUB_AUDIENCE,
    graphqlLimits: graphqlLimitsFromEnv(e),
    mobility: {
      passValidityDays: e.PASS_VALIDITY_DAYS,
      disclosureRetentionDays: e.VISIT_DISCLOSURE_RETENTION_DAYS,
    },
    sync: DEFAULT_SYNC_SETTINGS,
    webDir: e.WEB_DIR ? path.resolve(e.WEB_DIR) : undefined,
    cookieSecure: e.COOKIE_SECURE === "true" || e.COOKIE_SECURE === "1",
    trustProxy: e.TRUST_PROXY === "true" || e.TRUST_PROXY === "1",
    // An option left undefined (no --port) keeps the environment's value.
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  };
}
