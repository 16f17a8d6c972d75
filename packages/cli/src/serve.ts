import type { HubConfig } from "@maillage/hub";
import { UsageError } from "./args.ts";
import type { CliContext, HubApi, HubLifecycle } from "./context.ts";

/** The hub's config from the environment; a bad variable is a usage error (exit 2). */
export function loadConfig(
  api: HubApi,
  ctx: CliContext,
  overrides: Partial<HubConfig> = {},
): HubConfig {
  try {
    return api.loadHubConfig(ctx.env, overrides);
  } catch (error) {
    if (error instanceof api.ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** One line saying where the data lives, without printing credentials from the URLs. */
export function describeStorage(config: HubConfig): string {
  const database = config.databaseUrl
    ? "PostgreSQL (DATABASE_URL)"
    : `embedded PGlite in ${config.dataDir}`;
  const pubsub = config.redisUrl ? "Redis (REDIS_URL)" : "in-process";
  return `${database}; pub/sub: ${pubsub}`;
}

/**
 * Waits for SIGINT/SIGTERM, then stops the hub. `stopSignal` is created by the caller before
 * the hub starts, so a Ctrl-C during a slow start still ends in a clean stop.
 */
export async function serveUntilStopped(
  hub: HubLifecycle,
  ctx: CliContext,
  stopSignal: Promise<string>,
): Promise<number> {
  const signal = await stopSignal;
  ctx.stdout(`Received ${signal}, stopping the hub…\n`);
  await hub.stop();
  ctx.stdout("Stopped.\n");
  return 0;
}
