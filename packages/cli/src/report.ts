import { CommandFailure, type CommandSpec, commandHelp, parseCommand, UsageError } from "./args.ts";
import type { CliContext } from "./context.ts";
import { dataDirOption } from "./hub.ts";
import { loadConfig } from "./serve.ts";

export const HUB_REPORT = {
  name: "hub report",
  summary: "Print the network's health (coverage, liveness, activity) as CSV or JSON.",
  synopsis: "[--from YYYY-MM-DD] [--to YYYY-MM-DD] [--format csv|json] [options]",
  options: {
    from: {
      type: "string",
      value: "<day>",
      description: "First day (default: 29 days before --to)",
    },
    to: { type: "string", value: "<day>", description: "Last day (default: today)" },
    format: {
      type: "string",
      value: "<format>",
      description: "csv (one row per region, then France) or json (default: csv)",
    },
    region: { type: "string", value: "<code>", description: "Limit to one region (INSEE code)" },
    department: {
      type: "string",
      value: "<code>",
      description: "Limit to one department (INSEE code)",
    },
    hub: {
      type: "string",
      value: "<url>",
      description: "The running hub (default: HUB_URL or http://127.0.0.1:PORT)",
    },
    "data-dir": {
      type: "string",
      value: "<dir>",
      description:
        "The hub's directory, to sign a short NATIONAL token with its key (default: DATA_DIR/hub)",
    },
  },
  notes: [
    "It asks the running hub over HTTP. The token is MAILLAGE_TOKEN if set, else a 5-minute NATIONAL",
    "token signed with the hub's key file (on the hub's machine).",
  ],
} as const satisfies CommandSpec;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

const QUERY = `query NetworkHealthReport($filter: NetworkHealthFilter) { networkHealth(filter: $filter) {
  scope scopeId from to
  coverage { fabriques satellites spaces activeSpaces silentSpaces communesCovered ruralSpaces ruralShare }
  liveness { online stale silent worstLags { fabriqueName liveness lastSeenAt pending lagSeconds } }
  activity { visitors events participants openHours reports visitorsTrend eventsTrend participantsTrend openHoursTrend
             previous { visitors events participants openHours reports } }
  regions { code name visitors events participants openHours
            coverage { fabriques satellites spaces activeSpaces silentSpaces communesCovered ruralSpaces ruralShare } } } }`;

type Coverage = Record<
  | "fabriques"
  | "satellites"
  | "spaces"
  | "activeSpaces"
  | "silentSpaces"
  | "communesCovered"
  | "ruralSpaces"
  | "ruralShare",
  number
>;
type Health = {
  from: string;
  to: string;
  coverage: Coverage;
  activity: { visitors: number; events: number; participants: number; openHours: number };
  regions: {
    code: string;
    name: string;
    visitors: number;
    events: number;
    participants: number;
    openHours: number;
    coverage: Coverage;
  }[];
};

const COLUMNS = [
  "region_code",
  "region",
  "from",
  "to",
  "fabriques",
  "satellites",
  "spaces",
  "active_spaces",
  "silent_spaces",
  "communes_covered",
  "rural_spaces",
  "rural_share",
  "visitors",
  "events",
  "participants",
  "open_hours",
] as const;

function csvCell(value: string | number): string {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One row per region, then the whole scope's totals (regions shown only for national scopes). */
export function healthCsv(health: Health): string {
  const row = (code: string, name: string, c: Coverage, a: Health["activity"]) =>
    [
      code,
      name,
      health.from,
      health.to,
      c.fabriques,
      c.satellites,
      c.spaces,
      c.activeSpaces,
      c.silentSpaces,
      c.communesCovered,
      c.ruralSpaces,
      c.ruralShare,
      a.visitors,
      a.events,
      a.participants,
      a.openHours,
    ]
      .map(csvCell)
      .join(",");
  const lines = [COLUMNS.join(",")];
  for (const r of health.regions) lines.push(row(r.code, r.name, r.coverage, r));
  lines.push(row("", "Total", health.coverage, health.activity));
  return `${lines.join("\n")}\n`;
}

export async function runHubReport(argv: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(HUB_REPORT, argv);
  if (parsed.help) {
    ctx.stdout(commandHelp(HUB_REPORT));
    return 0;
  }
  const v = parsed.values;
  const format = v.format ?? "csv";
  if (format !== "csv" && format !== "json")
    throw new UsageError(`--format must be csv or json, got "${format}"`);
  for (const flag of ["from", "to"] as const) {
    const day = v[flag];
    if (day !== undefined && !DAY.test(day))
      throw new UsageError(`--${flag} must be a date YYYY-MM-DD, got "${day}"`);
  }
  const hubUrl = (v.hub ?? ctx.env.HUB_URL ?? `http://127.0.0.1:${ctx.env.PORT ?? "4000"}`).replace(
    /\/$/,
    "",
  );
  if (!/^https?:\/\//.test(hubUrl))
    throw new UsageError(`--hub must be an http(s) URL, got "${hubUrl}"`);

  let token = ctx.env.MAILLAGE_TOKEN;
  if (!token) {
    const api = await ctx.loadHub();
    const dataDir = dataDirOption(v["data-dir"], ctx.cwd);
    const config = loadConfig(api, ctx, dataDir === undefined ? {} : { dataDir });
    token = await api.issueHubToken(config, { role: "NATIONAL" }, "5m");
  }
  const filter = Object.fromEntries(
    Object.entries({ from: v.from, to: v.to, region: v.region, department: v.department }).filter(
      ([, x]) => x !== undefined,
    ),
  );
  const fetchImpl = ctx.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await fetchImpl(`${hubUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: QUERY, variables: { filter } }),
    });
  } catch (error) {
    throw new CommandFailure(`cannot reach the hub at ${hubUrl}: ${(error as Error).message}`);
  }
  const body = (await response.json().catch(() => ({}))) as {
    data?: { networkHealth: Health } | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  const error = body.errors?.[0];
  if (error || !body.data) {
    throw new CommandFailure(
      `${error?.extensions?.code ?? `HTTP ${response.status}`}: ${error?.message ?? "no answer from the hub"}`,
    );
  }
  const health = body.data.networkHealth;
  ctx.stdout(format === "json" ? `${JSON.stringify(health, null, 2)}\n` : healthCsv(health));
  return 0;
}
