import fs from "node:fs/promises";
import path from "node:path";
import type { ActivityImportError, AgentConfig, AgentRole, SyncStatus } from "@maillage/node-agent";
import { LOGIN_LINK_MAX_TTL_SECONDS, SESSION_MAX_TTL_SECONDS, Ttl } from "@maillage/schema";
import {
  CommandFailure,
  type CommandSpec,
  commandHelp,
  isMaillageError,
  type OptionValues,
  parseCommand,
  parsePort,
  requireNonEmpty,
  UsageError,
} from "./args.ts";
import type { AgentApi, AgentClientApi, CliContext } from "./context.ts";
import { requireAgent } from "./data-dir.ts";
import { boundedTtl, dataDirOption, LOGIN_LINK_TTL_OPTIONS } from "./hub.ts";
import { serve } from "./serve.ts";

export const AGENT_SUMMARY =
  "Run a fabrique's node agent: enrol it with the hub, start it, sign its tokens, ask its sync status.";

/** Environment of the agent commands, shown in `maillage agent --help`. */
export const AGENT_NOTES = [
  [
    "Configuration comes from the environment: DATABASE_URL, PORT (default 4100), HOST, DATA_DIR (the agent",
    "lives in DATA_DIR/agent unless --data-dir says otherwise), LOG_LEVEL, HUB_URL (default: the hub given",
    "at init), HUB_AUDIENCE (the hub's, default maillage).",
  ].join("\n"),
];

const DATA_DIR = {
  type: "string",
  value: "<dir>",
  description: "The agent's directory: identity, keys, embedded data (default: DATA_DIR/agent)",
} as const;

const FILE_ONLY = [
  "It reads the agent's identity and key files only (never its database), so it works while the agent runs.",
  "It never creates them: a data dir without an enrolled agent is refused (exit 1).",
].join("\n");

export const AGENT_INIT = {
  name: "agent init",
  summary: "Enrol this node agent with the hub, with the one-time code the hub issued.",
  synopsis: "--hub <url> --code <code> [options]",
  options: {
    hub: {
      type: "string",
      value: "<url>",
      description: "The hub's base URL, e.g. https://hub.maillage.example (required)",
    },
    code: {
      type: "string",
      value: "<code>",
      description: "The one-time enrolment code (required; createEnrolmentCode at the hub)",
    },
    "data-dir": DATA_DIR,
  },
  notes: [
    [
      "Creates an Ed25519 key pair (the private key stays in DATA_DIR/keys, mode 0600), presents the code",
      "and the public key to the hub, then stores the node identity. The hub hands over the fabrique's",
      "satellites to the node: the agent pulls them at its first start and owns them from then on.",
    ].join("\n"),
    "A used or expired code is refused (ENROLMENT_CODE_INVALID) and nothing is written. An agent enrols once.",
  ],
} as const satisfies CommandSpec;

export const AGENT_START = {
  name: "agent start",
  summary: "Start the node agent: its GraphQL API and its sync with the hub.",
  synopsis: "[options]",
  options: {
    port: {
      type: "string",
      value: "<port>",
      description: "Port to listen on (default: PORT or 4100; 0 = any free port)",
    },
    "data-dir": DATA_DIR,
  },
  notes: [
    "Serves GraphQL on /graphql, /health, /ready and /sync/status; syncs with the hub stored at init (or HUB_URL).",
    "Without DATABASE_URL the data lives in embedded PGlite under the data dir; with it, in PostgreSQL.",
    "Local writes are accepted while the hub is unreachable. SIGINT or SIGTERM stops the agent cleanly.",
  ],
} as const satisfies CommandSpec;

export const AGENT_TOKEN = {
  name: "agent token",
  summary: "Print a token (JWT) for the agent's own API, signed by the node's key.",
  synopsis: "--role <role> [options]",
  options: {
    role: {
      type: "string",
      value: "<role>",
      description: "FABRIQUE_ADMIN, SATELLITE or MEMBER (required)",
    },
    space: {
      type: "string",
      value: "<id>",
      description: "The satellite a SATELLITE token acts for (required with that role)",
    },
    member: {
      type: "string",
      value: "<id>",
      description: "The member a MEMBER token acts for (required with that role)",
    },
    ttl: {
      type: "string",
      value: "<ttl>",
      description: "Lifetime: 30s, 15m, 1h, 7d, ... at most 365d (default: 1h)",
    },
    "data-dir": DATA_DIR,
  },
  notes: [
    FILE_ONLY,
    "The token is valid at this agent only (never at the hub nor at another fabrique's agent).",
    "Example: maillage agent token --role SATELLITE --space <id> --ttl 8h",
  ],
} as const satisfies CommandSpec;

export const AGENT_LOGIN_LINK = {
  name: "agent login-link",
  summary: "Print a one-time sign-in link to the agent's web app (the fabrique's console).",
  synopsis: "--role <role> [options]",
  options: {
    role: {
      type: "string",
      value: "<role>",
      description: "FABRIQUE_ADMIN, SATELLITE or MEMBER (required)",
    },
    space: {
      type: "string",
      value: "<id>",
      description: "The satellite a SATELLITE session acts for (required with that role)",
    },
    member: {
      type: "string",
      value: "<id>",
      description: "The member a MEMBER session acts for (required with that role)",
    },
    ...LOGIN_LINK_TTL_OPTIONS,
    url: {
      type: "string",
      value: "<url>",
      description:
        "The agent's address as the browser reaches it (default: the running agent's run file, else http://127.0.0.1:PORT)",
    },
    "data-dir": DATA_DIR,
  },
  notes: [
    FILE_ONLY,
    "The link opens one session only (a second use is refused), at this agent only; it is never a bearer token.",
    "Example: maillage agent login-link --role SATELLITE --space <id>",
  ],
} as const satisfies CommandSpec;

export const AGENT_STATUS = {
  name: "agent status",
  summary: "Ask the running agent how its sync with the hub stands.",
  synopsis: "[options]",
  options: {
    json: { type: "boolean", description: "Print the status as JSON" },
    "data-dir": DATA_DIR,
  },
  notes: [
    [
      "Outbox size and age of its oldest event (the lag), last push and pull, whether the hub answers,",
      "and the event the hub refused, if any (it holds back the outbox until fixed).",
    ].join("\n"),
    [
      "It asks the running agent over HTTP (GET /sync/status, with a one-minute token signed by the",
      "node's key) and never opens the agent's database. Exit 1 when the agent is not running.",
    ].join("\n"),
  ],
} as const satisfies CommandSpec;

export const AGENT_IMPORT_ACTIVITY = {
  name: "agent import-activity",
  summary: "Import a CSV log of daily activity into the running agent, all or nothing.",
  synopsis: "FILE.csv [options]",
  positionals: ["FILE.csv"],
  options: { "data-dir": DATA_DIR },
  notes: [
    [
      "The file starts with the header space_id,date,visitors,events,participants,open_hours,note",
      "(note optional), one line per space and day; dates YYYY-MM-DD, not in the future; fields may be",
      'quoted ("7,5" for a decimal comma, "" for a quote). A later line for the same space and day wins.',
    ].join("\n"),
    [
      "Every line is checked first: on any problem, each is printed with its line number and nothing is",
      "imported (exit 1). The file is sent to the running agent over HTTP (like `agent status`).",
    ].join("\n"),
  ],
} as const satisfies CommandSpec;

/** The problems of a refused import, one per line: `line 3, visitors: cannot be negative`. */
export function formatImportErrors(file: string, errors: readonly ActivityImportError[]): string {
  const lines = errors.map(
    (e) => `  line ${e.line}${e.field === null ? "" : `, ${e.field}`}: ${e.message}`,
  );
  const count = `${errors.length} problem${errors.length === 1 ? "" : "s"}`;
  return `maillage: ${file}: ${count}, nothing imported\n${lines.join("\n")}\n`;
}

export async function runAgentImportActivity(
  argv: readonly string[],
  ctx: CliContext,
): Promise<number> {
  const parsed = parseCommand(AGENT_IMPORT_ACTIVITY, argv);
  if (parsed.help) {
    ctx.stdout(commandHelp(AGENT_IMPORT_ACTIVITY));
    return 0;
  }
  const file = path.resolve(ctx.cwd, requireNonEmpty(parsed.positionals[0] ?? "", "FILE.csv"));
  let csv: string;
  try {
    csv = await fs.readFile(file, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new CommandFailure(`cannot read ${file}${code ? ` (${code})` : ""}`);
  }
  const api = await ctx.loadAgentClient();
  const dataDir = agentDataDir(api, ctx, dataDirOption(parsed.values["data-dir"], ctx.cwd));
  await requireAgent(api, dataDir);
  let outcome: Awaited<ReturnType<typeof api.sendActivityImport>>;
  try {
    outcome = await api.sendActivityImport({ dataDir, csv });
  } catch (error) {
    if (error instanceof api.AgentNotRunningError || error instanceof api.AgentStatusError) {
      throw new CommandFailure(error.message);
    }
    throw error;
  }
  if (!outcome.ok) {
    ctx.stderr(formatImportErrors(file, outcome.errors));
    return 1;
  }
  ctx.stdout(`imported ${outcome.imported} report${outcome.imported === 1 ? "" : "s"}\n`);
  return 0;
}

/** The agent's config from the environment and flags; a bad variable is a usage error. */
export function loadAgentConfig(
  api: Pick<AgentClientApi, "ConfigError" | "loadAgentConfig">,
  ctx: CliContext,
  overrides: Partial<AgentConfig> = {},
): AgentConfig {
  try {
    return api.loadAgentConfig(ctx.env, overrides);
  } catch (error) {
    if (error instanceof api.ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** The agent's directory: the resolved `--data-dir`, or the default the environment gives. */
function agentDataDir(
  api: Pick<AgentClientApi, "ConfigError" | "loadAgentConfig">,
  ctx: CliContext,
  dataDir: string | undefined,
): string {
  return loadAgentConfig(api, ctx, dataDir === undefined ? {} : { dataDir }).dataDir;
}

export type AgentInitOptions = { hubUrl: string; code: string; dataDir: string | undefined };

export function agentInitOptions(
  values: OptionValues<typeof AGENT_INIT.options>,
  cwd: string,
): AgentInitOptions {
  if (values.hub === undefined) throw new UsageError("--hub <url> is required");
  if (values.code === undefined) throw new UsageError("--code <code> is required");
  const hubUrl = requireNonEmpty(values.hub, "--hub").trim();
  if (!URL.canParse(hubUrl) || !/^https?:\/\//i.test(hubUrl)) {
    throw new UsageError(`--hub must be an http:// or https:// URL, got "${values.hub}"`);
  }
  return {
    hubUrl,
    code: requireNonEmpty(values.code, "--code").trim(),
    dataDir: dataDirOption(values["data-dir"], cwd),
  };
}

export async function runAgentInit(argv: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(AGENT_INIT, argv);
  if (parsed.help) {
    ctx.stdout(commandHelp(AGENT_INIT));
    return 0;
  }
  const options = agentInitOptions(parsed.values, ctx.cwd);
  const api = await ctx.loadAgent();
  const dataDir = agentDataDir(api, ctx, options.dataDir);
  // Whether the hub was asked at all: a BAD_USER_INPUT before that is about our arguments.
  let askedHub = false;
  const fetchHub: typeof fetch = (input, init) => {
    askedHub = true;
    return fetch(input, init);
  };
  let identity: Awaited<ReturnType<AgentApi["initAgent"]>>;
  try {
    identity = await api.initAgent({
      dataDir,
      hubUrl: options.hubUrl,
      code: options.code,
      fetch: fetchHub,
    });
  } catch (error) {
    if (error instanceof api.AlreadyEnrolledError || error instanceof api.InitInProgressError) {
      throw new CommandFailure(error.message);
    }
    if (isMaillageError(error) && error.code === "BAD_USER_INPUT" && !askedHub) {
      // Refused before the hub was asked: the agent's own check of --hub or --code.
      const detail = error.message.replace(/^input: /, "");
      const flag = /url/i.test(detail) ? "--hub" : "--code";
      throw new UsageError(`invalid ${flag}: ${detail}`);
    }
    throw error;
  }
  ctx.stdout(
    [
      `Enrolled node ${identity.nodeId} for ${identity.fabriqueName} at ${identity.hubUrl}.`,
      `Identity and key in ${dataDir}.`,
      `Start it with: maillage agent start${options.dataDir === undefined ? "" : ` --data-dir ${dataDir}`}`,
      "",
    ].join("\n"),
  );
  return 0;
}

export type AgentStartOptions = { port: number | undefined; dataDir: string | undefined };

export function agentStartOptions(
  values: OptionValues<typeof AGENT_START.options>,
  cwd: string,
): AgentStartOptions {
  return {
    port: values.port === undefined ? undefined : parsePort(values.port),
    dataDir: dataDirOption(values["data-dir"], cwd),
  };
}

/** Where an agent keeps its data, without credentials from the URL. */
export function describeAgentStorage(config: AgentConfig): string {
  return config.databaseUrl ? "PostgreSQL (DATABASE_URL)" : `embedded PGlite in ${config.dataDir}`;
}

export async function runAgentStart(argv: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(AGENT_START, argv);
  if (parsed.help) {
    ctx.stdout(commandHelp(AGENT_START));
    return 0;
  }
  const options = agentStartOptions(parsed.values, ctx.cwd);
  const api = await ctx.loadAgent();
  const config = loadAgentConfig(api, ctx, {
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
  });
  return serve(
    ctx,
    "the agent",
    () => api.createAgent(config),
    async (agent) => {
      const { url } = await agent.start();
      const { identity } = agent;
      return [
        `Maillage node agent of ${identity.fabriqueName} (node ${identity.nodeId}) listening on ${url} (GraphQL: ${url}/graphql)`,
        `hub: ${config.hubUrl ?? identity.hubUrl}`,
        `storage: ${describeAgentStorage(config)}`,
        "",
      ].join("\n");
    },
  );
}

export type AgentTokenOptions = {
  role: AgentRole;
  spaceId: string | undefined;
  memberId: string | undefined;
  ttl: string;
  dataDir: string | undefined;
};

/** The token's claims, checked flag by flag so that a mistake names the flag. */
export function agentTokenOptions(
  values: OptionValues<typeof AGENT_TOKEN.options>,
  roles: readonly AgentRole[],
  cwd: string,
): AgentTokenOptions {
  const names = `${roles.slice(0, -1).join(", ")} or ${roles.at(-1)}`;
  if (values.role === undefined) throw new UsageError(`--role is required (${names})`);
  const role = roles.find((candidate) => candidate === values.role);
  if (role === undefined) throw new UsageError(`--role must be ${names}, got "${values.role}"`);
  const spaceId = values.space === undefined ? undefined : requireNonEmpty(values.space, "--space");
  const memberId =
    values.member === undefined ? undefined : requireNonEmpty(values.member, "--member");
  const needs: Partial<Record<AgentRole, "--space" | "--member">> = {
    SATELLITE: "--space",
    MEMBER: "--member",
  };
  for (const [flag, given] of [
    ["--space", spaceId],
    ["--member", memberId],
  ] as const) {
    const needed = needs[role] === flag;
    if (needed && given === undefined) throw new UsageError(`--role ${role} needs ${flag} <id>`);
    if (!needed && given !== undefined) throw new UsageError(`--role ${role} takes no ${flag}`);
  }
  const ttl = values.ttl ?? "1h";
  const parsedTtl = Ttl.safeParse(ttl);
  if (!parsedTtl.success) {
    throw new UsageError(
      `invalid --ttl "${ttl}": ${parsedTtl.error.issues[0]?.message ?? "a duration such as 1h"}`,
    );
  }
  return { role, spaceId, memberId, ttl, dataDir: dataDirOption(values["data-dir"], cwd) };
}

export async function runAgentToken(argv: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(AGENT_TOKEN, argv);
  if (parsed.help) {
    ctx.stdout(commandHelp(AGENT_TOKEN));
    return 0;
  }
  const api = await ctx.loadAgentClient();
  const options = agentTokenOptions(parsed.values, api.AgentRole.options, ctx.cwd);
  const dataDir = agentDataDir(api, ctx, options.dataDir);
  await requireAgent(api, dataDir);
  const token = await api.issueAgentToken({
    dataDir,
    role: options.role,
    ttl: options.ttl,
    ...(options.spaceId === undefined ? {} : { spaceId: options.spaceId }),
    ...(options.memberId === undefined ? {} : { memberId: options.memberId }),
  });
  ctx.stdout(`${token}\n`);
  return 0;
}

export async function runAgentLoginLink(argv: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(AGENT_LOGIN_LINK, argv);
  if (parsed.help) {
    ctx.stdout(commandHelp(AGENT_LOGIN_LINK));
    return 0;
  }
  const api = await ctx.loadAgentClient();
  const options = agentTokenOptions(
    {
      role: parsed.values.role,
      space: parsed.values.space,
      member: parsed.values.member,
      "data-dir": parsed.values["data-dir"],
    },
    api.AgentRole.options,
    ctx.cwd,
  );
  const ttl = boundedTtl(parsed.values.ttl ?? "15m", "--ttl", LOGIN_LINK_MAX_TTL_SECONDS);
  const sessionTtl = boundedTtl(
    parsed.values["session-ttl"] ?? "8h",
    "--session-ttl",
    SESSION_MAX_TTL_SECONDS,
  );
  const dataDir = agentDataDir(api, ctx, options.dataDir);
  await requireAgent(api, dataDir);
  let baseUrl: string;
  if (parsed.values.url !== undefined) {
    baseUrl = requireNonEmpty(parsed.values.url, "--url");
  } else {
    try {
      baseUrl = await api.runningAgentUrl(dataDir);
    } catch {
      const config = api.loadAgentConfig(ctx.env, { dataDir });
      const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
      baseUrl = `http://${host.includes(":") ? `[${host}]` : host}:${config.port}`;
      ctx.stderr(
        `maillage: warning: the agent of ${dataDir} is not running; the link assumes ${baseUrl} (--url to say otherwise)\n`,
      );
    }
  }
  const link = await api.issueAgentLoginLink({
    dataDir,
    baseUrl,
    role: options.role,
    ttl,
    sessionTtl,
    ...(options.spaceId === undefined ? {} : { spaceId: options.spaceId }),
    ...(options.memberId === undefined ? {} : { memberId: options.memberId }),
  });
  ctx.stdout(`${link}\n`);
  return 0;
}

/** `12 s ago`, `5 min ago`, `3 h ago`, `2 d ago`. */
function ago(iso: string, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}

function when(iso: string | null, now: Date): string {
  return iso === null ? "never" : `${iso} (${ago(iso, now)})`;
}

/** The status as a short table for people; `--json` prints the status itself. */
export function formatAgentStatus(status: SyncStatus, now: Date = new Date()): string {
  const events = (n: number) => `${n} event${n === 1 ? "" : "s"}`;
  const rows: [string, string][] = [
    ["node", `${status.nodeId} (fabrique ${status.fabriqueId})`],
    [
      "hub",
      status.hubReachable === null
        ? "not contacted yet"
        : status.hubReachable
          ? "reachable"
          : "unreachable (changes are kept and retried)",
    ],
    [
      "outbox",
      status.outboxPending === 0
        ? "empty"
        : `${events(status.outboxPending)} pending, the oldest from ${when(status.oldestPendingAt, now)}`,
    ],
    ["lag", `${status.lagSeconds} s`],
    ["last push", when(status.lastPushAt, now)],
    ["last pull", `${when(status.lastPullAt, now)}, cursor ${status.pullCursor}`],
    [
      "refused",
      status.poisoned === null
        ? "none"
        : `seq ${status.poisoned.seq} (${status.poisoned.entity} ${status.poisoned.entityId}): ${status.poisoned.code}: ${status.poisoned.message}; it holds back the outbox`,
    ],
  ];
  if (status.lastError !== null) {
    rows.push(["last error", `${when(status.lastErrorAt, now)}: ${status.lastError}`]);
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  return `${rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n")}\n`;
}

export async function runAgentStatus(argv: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(AGENT_STATUS, argv);
  if (parsed.help) {
    ctx.stdout(commandHelp(AGENT_STATUS));
    return 0;
  }
  const api = await ctx.loadAgentClient();
  const dataDir = agentDataDir(api, ctx, dataDirOption(parsed.values["data-dir"], ctx.cwd));
  await requireAgent(api, dataDir);
  let status: SyncStatus;
  try {
    status = await api.fetchAgentStatus({ dataDir });
  } catch (error) {
    if (error instanceof api.AgentNotRunningError || error instanceof api.AgentStatusError) {
      throw new CommandFailure(error.message);
    }
    throw error;
  }
  ctx.stdout(
    parsed.values.json ? `${JSON.stringify(status, null, 2)}\n` : formatAgentStatus(status),
  );
  return 0;
}
