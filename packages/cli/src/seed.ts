import { CommandFailure, type CommandSpec, commandHelp, parseCommand, UsageError } from "./args.ts";
import type { CliContext } from "./context.ts";
import { dataDirOption } from "./hub.ts";
import { loadConfig } from "./serve.ts";

export const SEED = {
  name: "seed",
  summary:
    "Write a realistic network on real communes, with daily activity, into the hub's storage.",
  synopsis: "--scale demo|region|national [options]",
  options: {
    scale: {
      type: "string",
      value: "<scale>",
      description:
        "demo (a few fabriques, 60 days), region (84: 30 fabriques, 300 satellites, 2 years) or national (400 fabriques, 4,000 satellites, 2 years)",
    },
    days: {
      type: "string",
      value: "<n>",
      description: "Days of activity, ending today (default: 730; demo 60)",
    },
    seed: {
      type: "string",
      value: "<n>",
      description: "Random seed: the same seed gives the same network (default: 1)",
    },
    force: {
      type: "boolean",
      description: "Empty the hub's network first (refused otherwise when it has spaces)",
    },
    "data-dir": {
      type: "string",
      value: "<dir>",
      description: "The hub's directory (default: DATA_DIR/hub)",
    },
  },
  notes: [
    "Uses DATABASE_URL (PostgreSQL) if set, else the hub's embedded database: stop the hub first then.",
    "Rollups are computed as the hub keeps them, so networkHealth answers at once. For demos and benchmarks:",
    "the seeded records are not announced to node agents.",
  ],
} as const satisfies CommandSpec;

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value))
    throw new UsageError(`--${flag} must be a positive integer, got "${value}"`);
  return Number(value);
}

export async function runSeed(argv: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(SEED, argv);
  if (parsed.help) {
    ctx.stdout(commandHelp(SEED));
    return 0;
  }
  const v = parsed.values;
  const scale = v.scale;
  if (scale !== "demo" && scale !== "region" && scale !== "national") {
    throw new UsageError(
      `--scale must be demo, region or national${scale ? `, got "${scale}"` : ""}`,
    );
  }
  const days = positiveInt("days", v.days);
  const seed = positiveInt("seed", v.seed);
  const api = await ctx.loadHub();
  const dataDir = dataDirOption(v["data-dir"], ctx.cwd);
  const config = loadConfig(api, ctx, {
    ...(dataDir === undefined ? {} : { dataDir }),
    logLevel: "warn",
  });
  const hub = await api.createHub(config);
  const tty = ctx.stdoutIsTTY === true;
  let lastPhase = "";
  try {
    const result = await api.seedHub(hub, {
      scale,
      ...(days === undefined ? {} : { days }),
      ...(seed === undefined ? {} : { seed }),
      force: v.force === true,
      onProgress: (done, total, phase) => {
        if (!tty) {
          if (phase !== lastPhase) ctx.stdout(`${phase}…\n`);
        } else {
          const width = 30;
          const filled = total > 0 ? Math.round((done / total) * width) : width;
          ctx.stdout(
            `\r${phase.padEnd(12)} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`,
          );
        }
        lastPhase = phase;
      },
    });
    if (tty) ctx.stdout("\n");
    ctx.stdout(
      `seeded ${result.fabriques} fabriques, ${result.satellites} satellites, ${result.reports} activity reports, ` +
        `${result.resources ?? 0} shared resources, ${result.bookings ?? 0} bookings, ` +
        `${result.trainings ?? 0} training sessions with ${result.enrolments ?? 0} enrolments, ` +
        `${result.visits ?? 0} visits away from home by ${result.travellers ?? 0} members ` +
        `(${result.from} to ${result.to}) in ${result.seconds.toFixed(1)} s\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof api.SeedRefusedError) throw new CommandFailure(error.message);
    throw error;
  } finally {
    await hub.stop();
  }
}
