import { CommandFailure, type CommandSpec, commandHelp, parseCommand } from "./args.ts";
import type { CliContext } from "./context.ts";
import { dataDirOption } from "./hub.ts";
import { describeDatabase, loadConfig } from "./serve.ts";

export const HUB_REBUILD_ROLLUPS = {
  name: "hub rebuild-rollups",
  summary:
    "Recompute every rollup networkHealth reads from the hub's base tables, in one transaction.",
  synopsis: "[--data-dir DIR]",
  options: {
    "data-dir": {
      type: "string",
      value: "<dir>",
      description: "The hub's directory, for its embedded database (default: DATA_DIR/hub)",
    },
  },
  notes: [
    [
      "Uses DATABASE_URL (PostgreSQL) if set: the running hub's database is fine. Else the hub's",
      "embedded database: stop the hub first then. Nothing is created, no migration applied: the",
      "database's migrations must be this version's.",
    ].join("\n"),
    [
      "Run it after a rolling upgrade whose migration created a rollup, or whenever one is in doubt.",
      "The rollup tables are locked (ACCESS EXCLUSIVE) for the whole transaction: pushes and hub",
      "mutations that change a rollup, and networkHealth, wait for it; the lock is only taken when",
      "writers let it go within half of deadlock_timeout, so none of them ever fails because of it.",
    ].join("\n"),
    "Prints each rollup's rows afterwards and the time taken; exit 1 when refused or failed (nothing changed).",
  ],
} as const satisfies CommandSpec;

/** Errors the hub throws that are a refusal, recognised by name (the CLI bundles its own copy). */
const REFUSALS = new Set([
  "NoHubDatabaseError",
  "HubSchemaMismatchError",
  "RollupsBusyError",
  "DataDirInUseError",
]);

export async function runHubRebuildRollups(
  argv: readonly string[],
  ctx: CliContext,
): Promise<number> {
  const parsed = parseCommand(HUB_REBUILD_ROLLUPS, argv);
  if (parsed.help) {
    ctx.stdout(commandHelp(HUB_REBUILD_ROLLUPS));
    return 0;
  }
  const api = await ctx.loadHub();
  const dataDir = dataDirOption(parsed.values["data-dir"], ctx.cwd);
  const config = loadConfig(api, ctx, dataDir === undefined ? {} : { dataDir });
  try {
    const result = await api.rebuildHubRollups({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
    });
    const width = Math.max(...result.tables.map((t) => t.table.length));
    for (const { table, rows } of result.tables) {
      ctx.stdout(`${table.padEnd(width)}  ${rows.toLocaleString("en-US")} rows\n`);
    }
    const retries = result.attempts > 1 ? `, after ${result.attempts} attempts` : "";
    ctx.stdout(
      `rebuilt ${result.tables.length} rollups (${describeDatabase(config)}) ` +
        `in ${result.seconds.toFixed(2)} s ` +
        `(tables locked ${result.lockedSeconds.toFixed(2)} s${retries})\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof Error && REFUSALS.has(error.name)) {
      throw new CommandFailure(error.message);
    }
    throw error;
  }
}
