import {
  AGENT_IMPORT_ACTIVITY,
  AGENT_INIT,
  AGENT_LOGIN_LINK,
  AGENT_NOTES,
  AGENT_START,
  AGENT_STATUS,
  AGENT_SUMMARY,
  AGENT_TOKEN,
  runAgentImportActivity,
  runAgentInit,
  runAgentLoginLink,
  runAgentStart,
  runAgentStatus,
  runAgentToken,
} from "./agent.ts";
import { CommandFailure, groupHelp, isMaillageError, UsageError } from "./args.ts";
import type { CliContext } from "./context.ts";
import { DEMO, runDemo } from "./demo.ts";
import {
  HUB_LOGIN_LINK,
  HUB_START,
  HUB_SUMMARY,
  HUB_TOKEN,
  runHubLoginLink,
  runHubStart,
  runHubToken,
} from "./hub.ts";
import {
  HUB_KEYS_LIST,
  HUB_KEYS_REMOVE,
  HUB_KEYS_ROTATE,
  HUB_KEYS_SUMMARY,
  runHubKeysList,
  runHubKeysRemove,
  runHubKeysRotate,
} from "./keys.ts";
import { HUB_REBUILD_ROLLUPS, runHubRebuildRollups } from "./rebuild-rollups.ts";
import { HUB_REPORT, runHubReport } from "./report.ts";
import { runSeed, SEED } from "./seed.ts";

type Command = {
  summary: string;
  run: (argv: readonly string[], ctx: CliContext) => Promise<number>;
};
type Group = {
  summary: string;
  commands: Readonly<Record<string, Command | Group>>;
  notes?: readonly string[];
};

const ROOT: Group = {
  summary:
    "Maillage links the fabriques de territoires, their satellite tiers-lieux and the national hub.",
  commands: {
    hub: {
      summary: HUB_SUMMARY,
      commands: {
        start: { summary: HUB_START.summary, run: runHubStart },
        token: { summary: HUB_TOKEN.summary, run: runHubToken },
        "login-link": { summary: HUB_LOGIN_LINK.summary, run: runHubLoginLink },
        report: { summary: HUB_REPORT.summary, run: runHubReport },
        "rebuild-rollups": { summary: HUB_REBUILD_ROLLUPS.summary, run: runHubRebuildRollups },
        keys: {
          summary: HUB_KEYS_SUMMARY,
          commands: {
            list: { summary: HUB_KEYS_LIST.summary, run: runHubKeysList },
            rotate: { summary: HUB_KEYS_ROTATE.summary, run: runHubKeysRotate },
            remove: { summary: HUB_KEYS_REMOVE.summary, run: runHubKeysRemove },
          },
        },
      },
    },
    agent: {
      summary: AGENT_SUMMARY,
      commands: {
        init: { summary: AGENT_INIT.summary, run: runAgentInit },
        start: { summary: AGENT_START.summary, run: runAgentStart },
        token: { summary: AGENT_TOKEN.summary, run: runAgentToken },
        "login-link": { summary: AGENT_LOGIN_LINK.summary, run: runAgentLoginLink },
        status: { summary: AGENT_STATUS.summary, run: runAgentStatus },
        "import-activity": {
          summary: AGENT_IMPORT_ACTIVITY.summary,
          run: runAgentImportActivity,
        },
      },
      notes: AGENT_NOTES,
    },
    demo: { summary: DEMO.summary, run: runDemo },
    seed: { summary: SEED.summary, run: runSeed },
  },
  notes: [
    [
      "Configuration comes from the environment: DATABASE_URL, REDIS_URL, PORT, HOST, DATA_DIR, LOG_LEVEL,",
      "HUB_ISSUER, HUB_AUDIENCE, HUB_SIGNING_KEYS, HUB_URL (see README.md).",
    ].join("\n"),
  ],
};

function isGroup(node: Command | Group): node is Group {
  return "commands" in node;
}

/** Every command under a group, named from that group down (`start`, `keys list`, ...). */
function leaves(group: Group, prefix = ""): { name: string; summary: string }[] {
  return Object.entries(group.commands).flatMap(([name, node]) =>
    isGroup(node)
      ? leaves(node, `${prefix}${name} `)
      : [{ name: `${prefix}${name}`, summary: node.summary }],
  );
}

function helpOf(path: readonly string[], group: Group): string {
  return groupHelp(path.join(" "), group.summary, leaves(group), group.notes);
}

/** Walks `argv` down the command tree; groups answer `--help` and missing commands themselves. */
async function dispatch(
  argv: readonly string[],
  ctx: CliContext,
  group: Group = ROOT,
  path: readonly string[] = [],
): Promise<number> {
  const [first, ...rest] = argv;
  const seeHelp = `see "${["maillage", ...path].join(" ")} --help"`;
  if (first === undefined) {
    ctx.stderr(helpOf(path, group));
    return 2;
  }
  if (first === "--help" || first === "-h") {
    ctx.stdout(helpOf(path, group));
    return 0;
  }
  if (first.startsWith("-")) throw new UsageError(`unknown option ${first} (${seeHelp})`);
  const node = Object.hasOwn(group.commands, first) ? group.commands[first] : undefined;
  if (node === undefined) {
    throw new UsageError(`unknown command "${[...path, first].join(" ")}" (${seeHelp})`);
  }
  return isGroup(node) ? dispatch(rest, ctx, node, [...path, first]) : node.run(rest, ctx);
}

/** Reports a failure on stderr and picks the exit code: 2 for usage, 1 for anything else. */
function report(error: unknown, ctx: CliContext): number {
  if (error instanceof UsageError) {
    ctx.stderr(`maillage: ${error.message}\n`);
    return 2;
  }
  if (error instanceof CommandFailure) {
    ctx.stderr(`maillage: ${error.message}\n`);
    return 1;
  }
  if (isMaillageError(error)) {
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
    stdoutIsTTY: process.stdout.isTTY === true,
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
    // One dynamic import per need, so that the compiled CLI loads per command only what it uses.
    loadHubClient: () => import("@maillage/hub/client"),
    loadAgentClient: () => import("@maillage/node-agent/client"),
    loadHub: async () => ({
      ...(await import("@maillage/hub/client")),
      ...(await import("@maillage/hub")),
    }),
    loadAgent: async () => ({
      ...(await import("@maillage/node-agent/client")),
      ...(await import("@maillage/node-agent")),
    }),
  };
}

/**
 * Runs one `maillage` invocation and returns its exit code (0 ok, 1 failure, 2 usage error).
 * `bin/maillage.js` passes `process.argv.slice(2)` and exits with the result (it runs the build of
 * this file that `npm run build` compiles into packages/cli/dist/, or this file through tsx).
 */
export async function main(argv: readonly string[], io: Partial<CliContext> = {}): Promise<number> {
  const ctx: CliContext = { ...processContext(), ...io };
  try {
    return await dispatch(argv, ctx);
  } catch (error) {
    return report(error, ctx);
  }
}
