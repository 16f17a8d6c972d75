import type { HubConfig } from "@maillage/hub";
import {
  CommandFailure,
  type CommandSpec,
  commandHelp,
  parseCommand,
  requireNonEmpty,
  UsageError,
} from "./args.ts";
import type { CliContext, HubClientApi } from "./context.ts";
import { withHubKeys } from "./data-dir.ts";
import { dataDirOption } from "./hub.ts";
import { loadConfig } from "./serve.ts";

export const HUB_KEYS_SUMMARY = "List, rotate and remove the hub's signing keys.";

const DATA_DIR = {
  type: "string",
  value: "<dir>",
  description: "The hub's directory holding its key file (default: DATA_DIR/hub)",
} as const;

const FILE_ONLY = [
  "It reads and writes the hub's key file only (never its database), so it works while the hub runs.",
  "It never creates one: a data dir without a key file is refused (exit 1).",
].join("\n");

export const HUB_KEYS_LIST = {
  name: "hub keys list",
  summary: "List the hub's signing keys.",
  synopsis: "[options]",
  options: { "data-dir": DATA_DIR },
  notes: [
    "The newest key signs new tokens; every listed key verifies tokens signed with it.",
    FILE_ONLY,
  ],
} as const satisfies CommandSpec;

export const HUB_KEYS_ROTATE = {
  name: "hub keys rotate",
  summary: "Add a new signing key and print its kid.",
  synopsis: "[options]",
  options: { "data-dir": DATA_DIR },
  notes: [
    [
      "The new key signs new tokens from now on; a running hub picks it up without a restart.",
      "Tokens signed with older keys keep verifying until their key is removed (hub keys remove).",
    ].join("\n"),
    FILE_ONLY,
    "Refused when HUB_SIGNING_KEYS is set: the keys then come from the environment.",
  ],
} as const satisfies CommandSpec;

export const HUB_KEYS_REMOVE = {
  name: "hub keys remove",
  summary: "Remove a signing key: tokens signed with it stop verifying.",
  synopsis: "--kid <kid> [options]",
  options: {
    kid: { type: "string", value: "<kid>", description: "The key to remove (required)" },
    "data-dir": DATA_DIR,
  },
  notes: [
    "The last key cannot be removed: rotate first. A running hub stops accepting the key's tokens at once.",
    FILE_ONLY,
    "Refused when HUB_SIGNING_KEYS is set: the keys then come from the environment.",
  ],
} as const satisfies CommandSpec;

/**
 * The config whose data dir holds the key file. With `HUB_SIGNING_KEYS` set the hub ignores
 * that file, so reading or changing it would mislead: the command is refused.
 */
function keyFileConfig(
  api: HubClientApi,
  ctx: CliContext,
  dataDirFlag: string | undefined,
): HubConfig {
  const dataDir = dataDirOption(dataDirFlag, ctx.cwd);
  const config = loadConfig(api, ctx, dataDir === undefined ? {} : { dataDir });
  if (config.signingKeysJson !== undefined) {
    throw new CommandFailure(
      "HUB_SIGNING_KEYS is set: the hub's keys come from the environment, not the key file; change that variable instead",
    );
  }
  return config;
}

/** The keys in the file, oldest first; a missing file is a one-line failure. */
function listKeys(api: HubClientApi, config: HubConfig) {
  return withHubKeys(config, () => api.listSigningKeys(config.dataDir));
}

export async function runHubKeysList(argv: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(HUB_KEYS_LIST, argv);
  if (parsed.help) {
    ctx.stdout(commandHelp(HUB_KEYS_LIST));
    return 0;
  }
  const api = await ctx.loadHubClient();
  const config = keyFileConfig(api, ctx, parsed.values["data-dir"]);
  const keys = await listKeys(api, config);
  const rows = keys.map((key, index) => [
    key.kid,
    key.createdAt,
    index === keys.length - 1 ? "signs and verifies" : "verifies",
  ]);
  const header = ["kid", "created", "use"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  ctx.stdout(`${[header, ...rows].map(line).join("\n")}\n`);
  return 0;
}

export async function runHubKeysRotate(argv: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(HUB_KEYS_ROTATE, argv);
  if (parsed.help) {
    ctx.stdout(commandHelp(HUB_KEYS_ROTATE));
    return 0;
  }
  const api = await ctx.loadHubClient();
  const config = keyFileConfig(api, ctx, parsed.values["data-dir"]);
  // Rotation needs the hub's existing file: a mistyped --data-dir must not create a new one.
  const kid = await withHubKeys(config, () => api.rotateSigningKey(config.dataDir));
  // The kid alone on stdout (`KID=$(maillage hub keys rotate)`); the explanation on stderr.
  ctx.stdout(`${kid}\n`);
  ctx.stderr(
    [
      `New signing key ${kid} in ${api.keyFilePath(config.dataDir)}: it signs new tokens from now on.`,
      "A running hub picks it up without a restart. Tokens signed with older keys keep verifying",
      'until their key is removed ("maillage hub keys remove --kid <kid>").',
      "",
    ].join("\n"),
  );
  return 0;
}

export async function runHubKeysRemove(argv: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(HUB_KEYS_REMOVE, argv);
  if (parsed.help) {
    ctx.stdout(commandHelp(HUB_KEYS_REMOVE));
    return 0;
  }
  if (parsed.values.kid === undefined) throw new UsageError("--kid is required");
  const kid = requireNonEmpty(parsed.values.kid, "--kid");
  const api = await ctx.loadHubClient();
  const config = keyFileConfig(api, ctx, parsed.values["data-dir"]);
  const keys = await listKeys(api, config);
  if (!keys.some((key) => key.kid === kid)) {
    throw new CommandFailure(`no signing key with kid "${kid}" (see "maillage hub keys list")`);
  }
  if (keys.length === 1) {
    throw new CommandFailure(
      `"${kid}" is the last signing key and cannot be removed; add one first with "maillage hub keys rotate"`,
    );
  }
  await api.removeSigningKey(config.dataDir, kid);
  ctx.stdout(`Removed signing key ${kid}: tokens signed with it no longer verify.\n`);
  return 0;
}
