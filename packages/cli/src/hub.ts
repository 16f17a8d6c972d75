import path from "node:path";
import {
  HubTokenRole,
  LOGIN_LINK_MAX_TTL_SECONDS,
  SESSION_MAX_TTL_SECONDS,
  Ttl,
  ttlSeconds,
} from "@maillage/schema";
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
import { signWithExistingKeys, withHubKeys } from "./data-dir.ts";
import { parseFabriqueId } from "./ids.ts";
import { checkFabrique, locateHub } from "./running-hub.ts";
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
    "While it runs, <data dir>/hub.run.json holds its URL: hub report and hub token find it there.",
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
      description:
        "The fabrique a FABRIQUE_ADMIN token acts for (required with that role): its id, or its older global form",
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
    [
      "It reads the hub's key file only (never its database), so it works while the hub runs; it never",
      "creates one: a data dir without a key file is refused (exit 1). HUB_SIGNING_KEYS replaces the file.",
    ].join("\n"),
    [
      "--fabrique takes a fabrique's id (26 characters) or its older global form, which it turns into the id;",
      "anything else is a usage error (exit 2). When the running hub answers (found like hub report does),",
      "it must know the id as a fabrique (else NOT_FOUND or NOT_A_FABRIQUE, exit 1); when it does not",
      "answer, the token is signed with a warning on stderr.",
    ].join("\n"),
    "Example: maillage hub token --role FABRIQUE_ADMIN --fabrique <id> --ttl 8h",
  ],
} as const satisfies CommandSpec;

/** The --ttl and --session-ttl of hub login-link and agent login-link. */
export const LOGIN_LINK_TTL_OPTIONS = {
  ttl: {
    type: "string",
    value: "<ttl>",
    description: "How long the link may be opened: 30s, 15m, 1h, ... at most 24h (default: 15m)",
  },
  "session-ttl": {
    type: "string",
    value: "<ttl>",
    description: "How long the session it opens lasts, at most 7d (default: 8h)",
  },
} as const;

export const HUB_LOGIN_LINK = {
  name: "hub login-link",
  summary: "Print a one-time sign-in link to the hub's web app (the national dashboard).",
  synopsis: "--role <role> [options]",
  options: {
    role: { type: "string", value: "<role>", description: "NATIONAL or FABRIQUE_ADMIN (required)" },
    fabrique: {
      type: "string",
      value: "<id>",
      description: "The fabrique a FABRIQUE_ADMIN session acts for (required with that role)",
    },
    ...LOGIN_LINK_TTL_OPTIONS,
    url: {
      type: "string",
      value: "<url>",
      description:
        "The hub's address as the browser reaches it (default: HUB_URL, else the running hub's run file, else http://127.0.0.1:PORT)",
    },
    "data-dir": {
      type: "string",
      value: "<dir>",
      description: "The hub's directory holding its key file (default: DATA_DIR/hub)",
    },
  },
  notes: [
    [
      "The link opens one session only (a second use is refused), in an httpOnly cookie of that browser;",
      "it is signed with the hub's key file (like hub token) and is never accepted as a bearer token.",
    ].join("\n"),
    [
      "With --fabrique, whether it is a fabrique is asked of the hub found by HUB_URL, the run file or the",
      "default port (with a one-minute NATIONAL token), never of --url, which only sets the printed address.",
    ].join("\n"),
    "Example: maillage hub login-link --role NATIONAL --ttl 30m",
  ],
} as const satisfies CommandSpec;

/** A link's or a session's lifetime, with its maximum: a usage error names the flag. */
export function boundedTtl(value: string, flag: string, maxSeconds: number): string {
  const parsed = Ttl.safeParse(value);
  if (!parsed.success || ttlSeconds(value) > maxSeconds) {
    throw new UsageError(
      `invalid ${flag} "${value}": a duration such as 15m or 8h, at most ${maxSeconds / 3600}h`,
    );
  }
  return value;
}

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
  if (role.data === "FABRIQUE_ADMIN" && values.fabrique === undefined) {
    throw new UsageError("--role FABRIQUE_ADMIN needs --fabrique <id>");
  }
  if (role.data === "NATIONAL" && values.fabrique !== undefined) {
    throw new UsageError(
      "--role NATIONAL takes no --fabrique (a national token covers the whole network)",
    );
  }
  const fabriqueId = values.fabrique === undefined ? undefined : fabriqueIdOption(values.fabrique);
  const ttl = values.ttl ?? "1h";
  const parsedTtl = Ttl.safeParse(ttl);
  if (!parsedTtl.success) {
    throw new UsageError(
      `invalid --ttl "${ttl}": ${parsedTtl.error.issues[0]?.message ?? "a duration such as 1h"}`,
    );
  }
  return { role: role.data, fabriqueId, ttl, dataDir: dataDirOption(values["data-dir"], cwd) };
}

/** `--fabrique`: a raw id, or the global form normalised to it; anything else is a usage error. */
function fabriqueIdOption(value: string): string {
  const parsed = parseFabriqueId(requireNonEmpty(value, "--fabrique"));
  if (!parsed.ok) throw new UsageError(`--fabrique "${value}" ${parsed.reason}`);
  return parsed.id;
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
    async () => {
      const hub = await api.createHub(config);
      // The run file goes first when stopping: nobody is sent to a hub on its way out.
      return {
        start: () => hub.start(),
        stop: async () => {
          await api.removeHubRunFile(config.dataDir).catch(() => {});
          await hub.stop();
        },
      };
    },
    async (hub) => {
      const { url } = await hub.start();
      await api.writeHubRunFile(config.dataDir, url);
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
  const api = await ctx.loadHubClient();
  const config = loadConfig(
    api,
    ctx,
    options.dataDir === undefined ? {} : { dataDir: options.dataDir },
  );
  if (options.fabriqueId !== undefined) {
    // A one-minute NATIONAL token to ask the hub; it also fails first when there are no keys.
    const probe = await signWithExistingKeys(api, config, { role: "NATIONAL" }, "1m");
    const hub = await locateHub(api, ctx, config);
    const check = await checkFabrique(ctx, hub, probe, options.fabriqueId);
    if (!check.verified) {
      ctx.stderr(
        `maillage: warning: could not verify that ${options.fabriqueId} is a fabrique: ${check.reason}; signed anyway\n`,
      );
    }
  }
  const claims =
    options.fabriqueId === undefined
      ? { role: options.role }
      : { role: options.role, fabriqueId: options.fabriqueId };
  const token = await signWithExistingKeys(api, config, claims, options.ttl);
  ctx.stdout(`${token}\n`);
  return 0;
}

export async function runHubLoginLink(argv: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(HUB_LOGIN_LINK, argv);
  if (parsed.help) {
    ctx.stdout(commandHelp(HUB_LOGIN_LINK));
    return 0;
  }
  const { role, fabriqueId, dataDir } = hubTokenOptions(
    {
      role: parsed.values.role,
      fabrique: parsed.values.fabrique,
      "data-dir": parsed.values["data-dir"],
    },
    ctx.cwd,
  );
  const ttl = boundedTtl(parsed.values.ttl ?? "15m", "--ttl", LOGIN_LINK_MAX_TTL_SECONDS);
  const sessionTtl = boundedTtl(
    parsed.values["session-ttl"] ?? "8h",
    "--session-ttl",
    SESSION_MAX_TTL_SECONDS,
  );
  const api = await ctx.loadHubClient();
  const config = loadConfig(api, ctx, dataDir === undefined ? {} : { dataDir });
  const urlFlag =
    parsed.values.url === undefined ? undefined : requireNonEmpty(parsed.values.url, "--url");
  const hub = await locateHub(api, ctx, config, urlFlag);
  if (fabriqueId !== undefined) {
    // The fabrique is checked with a one-minute NATIONAL token sent to the hub this machine
    // runs or names (HUB_URL, else the run file, else the default port), never to --url:
    // that is only the address printed in the link (a public name, a proxy, a typo).
    const probe = await signWithExistingKeys(api, config, { role: "NATIONAL" }, "1m");
    const running = urlFlag === undefined ? hub : await locateHub(api, ctx, config);
    const check = await checkFabrique(ctx, running, probe, fabriqueId);
    if (!check.verified) {
      ctx.stderr(
        `maillage: warning: could not verify that ${fabriqueId} is a fabrique: ${check.reason}; signed anyway\n`,
      );
    }
  }
  const link = await withHubKeys(config, () =>
    api.signHubLoginLink(
      config,
      { role, ...(fabriqueId === undefined ? {} : { fabriqueId }), ttl, sessionTtl },
      hub.url,
    ),
  );
  ctx.stdout(`${link}\n`);
  return 0;
}
