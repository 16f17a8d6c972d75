import type { HubConfig } from "@maillage/hub";
import { UsageError } from "./args.ts";
import type { CliContext, HubClientApi } from "./context.ts";

/** The hub's config from the environment; a bad variable is a usage error (exit 2). */
export function loadConfig(
  api: Pick<HubClientApi, "ConfigError" | "loadHubConfig">,
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
  const pubsub = config.redisUrl ? "Redis (REDIS_URL)" : "in-process";
  return `${describeDatabase(config)}; pub/sub: ${pubsub}`;
}

/** The hub's database, as `describeStorage` names it. */
export function describeDatabase(config: HubConfig): string {
  return config.databaseUrl ? "PostgreSQL (DATABASE_URL)" : `embedded PGlite in ${config.dataDir}`;
}

const SIGNAL_EXIT_CODES: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Something `serve` runs: built by `create`, started by `start`, stopped once at the end. */
export type Stoppable = { stop(): Promise<void> };

/**
 * Builds a service with `create`, runs `start` (which starts it and returns what to print),
 * serves until SIGINT or SIGTERM, then stops the service cleanly and answers exit code 0.
 * `name` says what stops ("the hub"). A signal that arrives while the service is still
 * starting (opening storage, migrating, seeding, enrolling) ends the command at once with
 * 128 + the signal's number, so a start that hangs never makes the process deaf to Ctrl-C or
 * to an orchestrator's SIGTERM. When `start` fails, the service is stopped and the error
 * reported.
 */
export async function serve<S extends Stoppable>(
  ctx: CliContext,
  name: string,
  create: () => Promise<S>,
  start: (service: S) => Promise<string>,
): Promise<number> {
  const stopSignal = ctx.untilStopSignal();
  const starting = (async () => {
    const service = await create();
    try {
      return { service, message: await start(service) };
    } catch (error) {
      await service.stop().catch(() => {});
      throw error;
    }
  })();
  const first = await Promise.race([starting, stopSignal.then((signal) => ({ signal }) as const)]);
  if ("signal" in first) {
    starting.catch(() => {}); // Abandoned: the process exits with our answer.
    ctx.stderr(`maillage: received ${first.signal} while starting, exiting\n`);
    return SIGNAL_EXIT_CODES[first.signal] ?? 1;
  }
  ctx.stdout(first.message);
  const signal = await stopSignal;
  ctx.stdout(`Received ${signal}, stopping ${name}…\n`);
  await first.service.stop();
  ctx.stdout("Stopped.\n");
  return 0;
}
