import { MaillageError } from "@maillage/schema";
import { groupHelp, UsageError } from "./args.ts";
import type { CliContext } from "./context.ts";
import { DEMO, runDemo } from "./demo.ts";
import { HUB_START, HUB_SUMMARY, HUB_TOKEN, runHubStart, runHubToken } from "./hub.ts";

type Command = {
  summary: string;
  run: (argv: readonly string[], ctx: CliContext) => Promise<number>;
};
type Group = { summary: string; commands: Readonly<Record<string, Command>> };

const GROUPS: Readonly<Record<string, Group>> = {
  hub: {
    summary: HUB_SUMMARY,
    commands: {
      start: { summary: HUB_START.summary, run: runHubStart },
      token: { summary: HUB_TOKEN.summary, run: runHubToken },
    },
  },
};
const COMMANDS: Readonly<Record<string, Command>> = {
  demo: { summary: DEMO.summary, run: runDemo },
};

const ROOT_SUMMARY =
  "Maillage links the fabriques de territoires, their satellite tiers-lieux and the national hub.";
const ROOT_NOTES = [
  "Configuration comes from the environment: DATABASE_URL, REDIS_URL, PORT, HOST, DATA_DIR, LOG_LEVEL,",
  "HUB_ISSUER, HUB_AUDIENCE, HUB_SIGNING_KEYS (see README.md).",
];

function rootHelp(): string {
  const entries = [
    ...Object.entries(GROUPS).flatMap(([group, { commands }]) =>
      Object.entries(commands).map(([name, command]) => ({
        name: `${group} ${name}`,
        summary: command.summary,
      })),
    ),
    ...Object.entries(COMMANDS).map(([name, command]) => ({ name, summary: command.summary })),
  ];
  return groupHelp("", ROOT_SUMMARY, entries, [ROOT_NOTES.join("\n")]);
}

function helpOfGroup(name: string, group: Group): string {
  const entries = Object.entries(group.commands).map(([command, { summary }]) => ({
    name: command,
    summary,
  }));
  return groupHelp(name, group.summary, entries);
}

/** Walks `argv` down the command tree; groups answer `--help` and missing commands themselves. */
async function dispatch(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    ctx.stderr(rootHelp());
    return 2;
  }
  if (first === "--help" || first === "-h") {
    ctx.stdout(rootHelp());
    return 0;
  }
  if (first.startsWith("-"))
    throw new UsageError(`unknown option ${first} (see "maillage --help")`);

  const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (command !== undefined) return command.run(rest, ctx);

  const group = Object.hasOwn(GROUPS, first) ? GROUPS[first] : undefined;
  if (group === undefined) {
    throw new UsageError(`unknown command "${first}" (see "maillage --help")`);
  }
  const [second, ...args] = rest;
  if (second === undefined) {
    ctx.stderr(helpOfGroup(first, group));
    return 2;
  }
  if (second === "--help" || second === "-h") {
    ctx.stdout(helpOfGroup(first, group));
    return 0;
  }
  if (second.startsWith("-")) {
    throw new UsageError(`unknown option ${second} (see "maillage ${first} --help")`);
  }
  const sub = Object.hasOwn(group.commands, second) ? group.commands[second] : undefined;
  if (sub === undefined) {
    throw new UsageError(`unknown command "${first} ${second}" (see "maillage ${first} --help")`);
  }
  return sub.run(args, ctx);
}

/** Reports a failure on stderr and picks the exit code: 2 for usage, 1 for anything else. */
function report(error: unknown, ctx: CliContext): number {
  if (error instanceof UsageError) {
    ctx.stderr(`maillage: ${error.message}\n`);
    return 2;
  }
  if (error instanceof MaillageError) {
    ctx.stderr(`maillage: ${error.code}: ${error.message}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
    // A system error (EADDRINUSE, EACCES, ECONNREFUSED, ...): the message says it all.
    ctx.stderr(`maillage: ${message}\n`);
    return 1;
  }
  const stack = error instanceof Error && error.stack ? `\n${error.stack}` : "";
  ctx.stderr(`maillage: unexpected error: ${message}${stack}\n`);
  return 1;
}

/** The real context: the only place in the CLI that touches `process`. */
function processContext(): CliContext {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    untilStopSignal: () =>
      new Promise((resolve) => {
        // Listeners are removed after the first signal: a second Ctrl-C kills at once.
        const onSignal = (signal: NodeJS.Signals) => {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
          resolve(signal);
        };
        process.on("SIGINT", onSignal);
        process.on("SIGTERM", onSignal);
      }),
    loadHub: () => import("@maillage/hub"),
  };
}

/**
 * Runs one `maillage` invocation and returns its exit code (0 ok, 1 failure, 2 usage error).
 * `bin/maillage.js` passes `process.argv.slice(2)` and exits with the result.
 */
export async function main(argv: readonly string[], io: Partial<CliContext> = {}): Promise<number> {
  const ctx: CliContext = { ...processContext(), ...io };
  try {
    return await dispatch(argv, ctx);
  } catch (error) {
    return report(error, ctx);
  }
}
