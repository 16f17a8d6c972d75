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

const SIGNAL_EXIT_CODES: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Builds a hub, runs `start` (which starts it and returns what to print), serves until SIGINT
 * or SIGTERM, then stops the hub cleanly and answers exit code 0. A signal that arrives while
 * the hub is still starting (opening storage, migrating, seeding) ends the command at once
 * with 128 + the signal's number, so a start that hangs never makes the process deaf to
 * Ctrl-C or to an orchestrator's SIGTERM.
 */
export async function serve(
  api: HubApi,
  config: HubConfig,
  ctx: CliContext,
  start: (hub: HubLifecycle) => Promise<string>,
): Promise<number> {
  const stopSignal = ctx.untilStopSignal();
  const starting = (async () => {
    const hub = await api.createHub(config);
    try {
      return { hub, message: await start(hub) };
    } catch (error) {
      await hub.stop().catch(() => {});
      throw error;
    }
  })();
  const first = await Promise.race([
    starting,
    stopSignal.then((signal) => ({ signal, hub: undefined })),
  ]);
  if (first.hub === undefined) {
    starting.catch(() => {}); // Abandoned: the process exits with our answer.
    ctx.stderr(`maillage: received ${first.signal} while starting, exiting\n`);
    return SIGNAL_EXIT_CODES[first.signal] ?? 1;
  }
  ctx.stdout(first.message);
  const signal = await stopSignal;
  ctx.stdout(`Received ${signal}, stopping the hub…\n`);
  await first.hub.stop();
  ctx.stdout("Stopped.\n");
  return 0;
}
