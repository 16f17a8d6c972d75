import path from "node:path";
import {
  defaultWebDir,
  type GraphQLLimits,
  GraphQLLimitsEnv,
  graphqlLimitsFromEnv,
  MetricsEnv,
} from "@maillage/schema";
import { z } from "zod";

/**
 * The hub's configuration, parsed once from the environment. Nothing else reads
 * `process.env`; tests build a config with `loadHubConfig({}, { dataDir })`.
 */
const EnvSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default("127.0.0.1"),
  DATA_DIR: z.string().default(".maillage"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** METRICS_TOKEN (32+ characters): GET /metrics with it as bearer token; unset: 404. */
  ...MetricsEnv,
  /** `iss` of the tokens the hub signs. */
  HUB_ISSUER: z.string().default("maillage-hub"),
  /** `aud` every token must carry. */
  HUB_AUDIENCE: z.string().default("maillage"),
  /** Optional: the signing keys as JSON (same shape as the key file) instead of a file. */
  HUB_SIGNING_KEYS: z.string().optional(),
  /** The built web app served under /app/ (default: packages/web/dist of this checkout). */
  WEB_DIR: z.string().optional(),
  /** Always mark the session cookie Secure (and name it `__Host-…`): set it behind https. */
  COOKIE_SECURE: z.enum(["true", "false", "1", "0"]).optional(),
  /** Believe X-Forwarded-Host (the Origin check): only behind a proxy that sets it itself. */
  TRUST_PROXY: z.enum(["true", "false", "1", "0"]).optional(),
  /** GRAPHQL_MAX_DEPTH, _ALIASES, _TOKENS, _COST, _DIRECTIVES, _BODY_BYTES: see limits.ts. */
  ...GraphQLLimitsEnv,
  /** Requests a minute (0: no limit): see docs/rate-limits.md and limits/rate-limits.ts. */
  RATE_LIMIT_PERSON_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  RATE_LIMIT_NODE_PER_MINUTE: z.coerce.number().int().min(0).default(12_000),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  /** The rate counters' keys in Redis start with it. */
  RATE_LIMIT_KEY_PREFIX: z.string().min(1).default("maillage:rate"),
  /** `false`: no cached registry answers (modules/spaces/registry-cache.ts); for comparisons. */
  REGISTRY_CACHE: z.enum(["true", "false", "1", "0"]).optional(),
});

/** Requests a minute per caller (0 turns a budget off); docs/rate-limits.md. */
export type RateLimitSettings = {
  /** A person: the subject of their token or session cookie. */
  personPerMinute: number;
  /** A node agent: its node id. */
  nodePerMinute: number;
  /** Anonymous: the client address. */
  anonymousPerMinute: number;
  /** The counters' keys in Redis start with it (several deployments sharing one Redis). */
  keyPrefix: string;
};

export type HubConfig = {
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** METRICS_TOKEN: the bearer token of GET /metrics (docs/metrics.md); unset: disabled. */
  metricsToken?: string | undefined;
  port: number;
  host: string;
  /** The hub's own directory: embedded database and key file live here. */
  dataDir: string;
  logLevel: z.infer<typeof EnvSchema>["LOG_LEVEL"];
  issuer: string;
  audience: string;
  signingKeysJson: string | undefined;
  /** What every GraphQL operation must stay within, checked before anything runs. */
  graphqlLimits: GraphQLLimits;
  /** The built web app (packages/web/dist), served under /app/. */
  webDir: string;
  /** COOKIE_SECURE: the session cookie is always Secure and named `__Host-…`. */
  cookieSecure?: boolean;
  /**
   * TRUST_PROXY: X-Forwarded-Host names the hub's own host (the Origin check), and the last
   * X-Forwarded-For entry the client's address (the anonymous rate limit).
   */
  trustProxy?: boolean;
  /** RATE_LIMIT_*: the requests a minute of a person, a node, an anonymous address. */
  rateLimits: RateLimitSettings;
  /** REGISTRY_CACHE (default on): the registry's answers cached per audience until a change. */
  registryCache: boolean;
};

export class ConfigError extends Error {}

/**
 * `DATA_DIR` is the root for the whole demo (hub in `DATA_DIR/hub`, agents in
 * `DATA_DIR/agents/<name>`); `overrides.dataDir` sets the hub's own directory directly.
 */
export function loadHubConfig(
  env: Record<string, string | undefined>,
  overrides: Partial<HubConfig> = {},
): HubConfig {
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
    redisUrl: e.REDIS_URL,
    metricsToken: e.METRICS_TOKEN,
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR, "hub"),
    logLevel: e.LOG_LEVEL,
    issuer: e.HUB_ISSUER,
    audience: e.HUB_AUDIENCE,
    signingKeysJson: e.HUB_SIGNING_KEYS,
    graphqlLimits: graphqlLimitsFromEnv(e),
    webDir: e.WEB_DIR ? path.resolve(e.WEB_DIR) : defaultWebDir(),
    cookieSecure: e.COOKIE_SECURE === "true" || e.COOKIE_SECURE === "1",
    trustProxy: e.TRUST_PROXY === "true" || e.TRUST_PROXY === "1",
    rateLimits: {
      personPerMinute: e.RATE_LIMIT_PERSON_PER_MINUTE,
      nodePerMinute: e.RATE_LIMIT_NODE_PER_MINUTE,
      anonymousPerMinute: e.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
      keyPrefix: e.RATE_LIMIT_KEY_PREFIX,
    },
    registryCache: e.REGISTRY_CACHE !== "false" && e.REGISTRY_CACHE !== "0",
    ...overrides,
  };
}
