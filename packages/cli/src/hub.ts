import path from "node:path";
import { HubTokenRole, Ttl } from "@maillage/schema";
import {
  type CommandSpec,
  commandHelp,
  type OptionValues,
  parseCommand,
  parsePort,
  requireNonEmpty,
  UsageError,
} from "./args.ts";
import type { CliContext } from "./context.ts";
import { describeStorage, loadConfig, serve } from "./serve.ts";

export const HUB_SUMMARY = "Run the national hub and manage its tokens and signing keys.";

export const HUB_START = {
  name: "hub start",
  summary: "Start the national hub.",
  synopsis: "[options]",
  options: {
    port: {
      type: "string",
      value: "<port>",
      description: "Port to listen on (default: PORT or 4000; 0 = any free port)",
    },
    "data-dir": {
      type: "string",
      value: "<dir>",
      description: "The hub's own directory: key file, embedded database (default: DATA_DIR/hub)",
    },
  },
  notes: [
    "Serves GraphQL on /graphql (HTTP and graphql-ws), /health, /ready and /.well-known/jwks.json.",
    "Without DATABASE_URL the data lives in embedded PGlite under the data dir; with it, in PostgreSQL.",
    "Pending migrations are applied at start. SIGINT or SIGTERM stops the hub cleanly.",
  ],
} as const satisfies CommandSpec;

export const HUB_TOKEN = {
  name: "hub token",
  summary: "Print a token (JWT) signed by the hub's key.",
  synopsis: "--role <role> [options]",
  options: {
    role: { type: "string", value: "<role>", description: "NATIONAL or FABRIQUE_ADMIN (required)" },
    fabrique: {
      type: "string",
      value: "<id>",
      description: "The fabrique a FABRIQUE_ADMIN token acts for (required with that role)",
    },
    ttl: {
      type: "string",
      value: "<ttl>",
      description: "Lifetime: 30s, 15m, 1h, 7d, ... at most 365d (default: 1h)",
    },
    "data-dir": {
      type: "string",
      value: "<dir>",
      description: "The hub's directory holding its key file (default: DATA_DIR/hub)",
    },
  },
  notes: [
    "It reads the hub's key file only (never its database), so it works while the hub runs.",
    "Example: maillage hub token --role FABRIQUE_ADMIN --fabrique <id> --ttl 8h",
  ],
} as const satisfies CommandSpec;

export type HubStartOptions = { port: number | undefined; dataDir: string | undefined };

export function hubStartOptions(
  values: OptionValues<typeof HUB_START.options>,
  cwd: string,
): HubStartOptions {
  return {
    port: values.port === undefined ? undefined : parsePort(values.port),
    dataDir: dataDirOption(values["data-dir"], cwd),
  };
}

export type HubTokenOptions = {
  role: HubTokenRole;
  fabriqueId: string | undefined;
  ttl: string;
  dataDir: string | undefined;
};

export function hubTokenOptions(
  values: OptionValues<typeof HUB_TOKEN.options>,
  cwd: string,
): HubTokenOptions {
  if (values.role === undefined) {
    throw new UsageError("--role is required (NATIONAL or FABRIQUE_ADMIN)");
  }
  const role = HubTokenRole.safeParse(values.role);
  if (!role.success) {
    throw new UsageError(`--role must be NATIONAL or FABRIQUE_ADMIN, got "${values.role}"`);
  }
  const fabriqueId =
    values.fabrique === undefined ? undefined : requireNonEmpty(values.fabrique, "--fabrique");
  if (role.data === "FABRIQUE_ADMIN" && fabriqueId === undefined) {
    throw new UsageError("--role FABRIQUE_ADMIN needs --fabrique <id>");
  }
  if (role.data === "NATIONAL" && fabriqueId !== undefined) {
    throw new UsageError(
      "--role NATIONAL takes no --fabrique (a national token covers the whole network)",
    );
  }
  const ttl = values.ttl ?? "1h";
  const parsedTtl = Ttl.safeParse(ttl);
  if (!parsedTtl.success) {
    throw new UsageError(
      `invalid --ttl "${ttl}": ${parsedTtl.error.issues[0]?.message ?? "a duration such as 1h"}`,
    );
  }
  return { role: role.data, fabriqueId, ttl, dataDir: dataDirOption(values["data-dir"], cwd) };
}

/** A `--data-dir` value, resolved against the working directory. */
export function dataDirOption(value: string | undefined, cwd: string): string | undefined {
  return value === undefined ? undefined : path.resolve(cwd, requireNonEmpty(value, "--data-dir"));
}

export async function runHubStart(argv: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(HUB_START, argv);
  if (parsed.help) {
    ctx.stdout(commandHelp(HUB_START));
    return 0;
  }
  const options = hubStartOptions(parsed.values, ctx.cwd);
  const api = await ctx.loadHub();
  const config = loadConfig(api, ctx, {
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
  });
  return serve(
    ctx,
    "the hub",
    () => api.createHub(config),
    async (hub) => {
      const { url } = await hub.start();
      return `Maillage hub listening on ${url} (GraphQL: ${url}/graphql)\nstorage: ${describeStorage(config)}\n`;
    },
  );
}

export async function runHubToken(argv: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(HUB_TOKEN, argv);
  if (parsed.help) {
    ctx.stdout(commandHelp(HUB_TOKEN));
    return 0;
  }
  const options = hubTokenOptions(parsed.values, ctx.cwd);
  const api = await ctx.loadHub();
  const config = loadConfig(
    api,
    ctx,
    options.dataDir === undefined ? {} : { dataDir: options.dataDir },
  );
  const claims =
    options.fabriqueId === undefined
      ? { role: options.role }
      : { role: options.role, fabriqueId: options.fabriqueId };
  const token = await api.issueHubToken(config, claims, options.ttl);
  ctx.stdout(`${token}\n`);
  return 0;
}
