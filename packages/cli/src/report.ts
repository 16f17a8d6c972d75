import { CommandFailure, type CommandSpec, commandHelp, parseCommand, UsageError } from "./args.ts";
import type { CliContext } from "./context.ts";
import { signWithExistingKeys } from "./data-dir.ts";
import { dataDirOption } from "./hub.ts";
import { askHub, type GraphQLAnswer, locateHub } from "./running-hub.ts";
import { loadConfig } from "./serve.ts";

/** Territory rows per mobility list: three lists of this many stay under the hub's default query cost. */
const MOBILITY_TERRITORY_ROWS = 400;

export const HUB_REPORT = {
  name: "hub report",
  summary:
    "Print the network's health (coverage, liveness, activity, mutualisation), its training figures or its members' mobility as CSV or JSON.",
  synopsis:
    "[--from YYYY-MM-DD] [--to YYYY-MM-DD] [--section health|training|mobility] [--format csv|json] [options]",
  options: {
    section: {
      type: "string",
      value: "<section>",
      description:
        "health (default), training (the training sessions held from --from to --to, by session date) or mobility (members' visits away from home, monthly, small cells suppressed)",
    },
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
      description:
        "The running hub (default: HUB_URL, else the URL hub start wrote in the data dir, else http://127.0.0.1:PORT)",
    },
    "data-dir": {
      type: "string",
      value: "<dir>",
      description:
        "The hub's directory: its run file, and its key to sign a short NATIONAL token (default: DATA_DIR/hub)",
    },
  },
  notes: [
    [
      "It asks the running hub over HTTP. The token is MAILLAGE_TOKEN if set, else a 5-minute NATIONAL",
      "token signed with the hub's key file (on the hub's machine; a data dir without one is refused).",
    ].join("\n"),
    [
      "CSV columns: region_code, region, from, to; coverage: fabriques, satellites, spaces, active_spaces,",
      "silent_spaces, communes_covered, rural_spaces, rural_share; liveness of the node agents: nodes_online,",
      "nodes_stale, nodes_silent (the whole scope only: empty on region rows); activity: visitors, events,",
      "participants, open_hours; mutualisation: shared_resources, bookings, booked_hours,",
      "cross_node_bookings, loans, utilisation (empty when nothing is open).",
    ].join("\n"),
    [
      "Training CSV (--section training): one row per topic, then per region, then the total of the",
      "sessions starting from --from to --to (Europe/Paris days: the session's date, never the sign-up",
      "date): group (topic, region or total), code, name, from, to, trainings, cancelled_trainings,",
      "seats_offered, seats_filled (cancelled enrolments never count), fill_rate, waitlisted,",
      "waitlist_pressure, attended, no_show, attendance_rate, no_show_rate, hours_delivered (attendees ×",
      "length), credentials_issued, cross_node_enrolments, cross_node_share, cancellations. Rates are",
      "empty when undefined.",
    ].join("\n"),
    [
      "Mobility CSV (--section mobility): visits away from home and distinct members, per calendar month",
      "(of --to; the series from --from's month): group (total, month, region, region_flow, origin,",
      "destination), direction (outgoing: members homed there; incoming: visits received there), code,",
      "name, to_code, to_name (flows), month, visits, members. A figure under 5 distinct members, or",
      'one a total would give away, is "< 5" (both columns), as networkHealth.mobility suppresses it.',
      `The largest ${MOBILITY_TERRITORY_ROWS} territories and flows each way (what one query may ask under the hub's`,
      "cost limit; France counts about 400 fabrique territories): narrow the scope with --region for more flows.",
    ].join("\n"),
  ],
} as const satisfies CommandSpec;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export const NETWORK_HEALTH_QUERY = `query NetworkHealthReport($filter: NetworkHealthFilter) { networkHealth(filter: $filter) {
  scope scopeId from to
  coverage { fabriques satellites spaces activeSpaces silentSpaces communesCovered ruralSpaces ruralShare }
  liveness { online stale silent worstLags { fabriqueName liveness lastSeenAt pending lagSeconds } }
  activity { visitors events participants openHours reports visitorsTrend eventsTrend participantsTrend openHoursTrend
             previous { visitors events participants openHours reports } }
  mutualisation { resources sharedResources availableResources bookings bookedHours crossNodeBookings crossNodeShare
                  loans resourceOpenHours utilisation bookingsTrend bookedHoursTrend crossNodeBookingsTrend loansTrend
                  utilisationTrend previous { bookings bookedHours crossNodeBookings crossNodeShare loans resourceOpenHours utilisation }
                  resourcesByCategory { category resources sharedResources } resourcesBySharingScope { sharingScope resources } }
  regions { code name visitors events participants openHours
            sharedResources bookings bookedHours crossNodeBookings loans utilisation
            coverage { fabriques satellites spaces activeSpaces silentSpaces communesCovered ruralSpaces ruralShare } } } }`;

const TRAINING_FIGURES = `trainings cancelledTrainings seatsOffered seatsFilled fillRate waitlisted
  waitlistPressure attended noShow attendanceRate noShowRate hoursDelivered credentialsIssued
  crossNodeEnrolments crossNodeShare cancellations`;

export const TRAINING_REPORT_QUERY = `query TrainingReport($filter: NetworkHealthFilter) { networkHealth(filter: $filter) {
  scope scopeId from to
  training { ${TRAINING_FIGURES} byTopic { topic ${TRAINING_FIGURES} } }
  regions { code name training { ${TRAINING_FIGURES} } } } }`;

const CELL = "visits members suppressed";

export const MOBILITY_REPORT_QUERY = `query MobilityReport($filter: NetworkHealthFilter) { networkHealth(filter: $filter) {
  scope scopeId from to
  mobility { month outgoing { ${CELL} } incoming { ${CELL} }
    months { month outgoing { ${CELL} } incoming { ${CELL} } }
    regions { code name outgoing { ${CELL} } incoming { ${CELL} } }
    regionFlows { origin { code name } destination { code name } ${CELL} }
    origins(first: ${MOBILITY_TERRITORY_ROWS}) { territory { id name } ${CELL} }
    destinations(first: ${MOBILITY_TERRITORY_ROWS}) { territory { id name } ${CELL} }
    flows(first: ${MOBILITY_TERRITORY_ROWS}) { origin { id name } destination { id name } ${CELL} } } } }`;

type Cell = { visits: number | null; members: number | null; suppressed: boolean };
type MobilityReport = {
  mobility: {
    month: string;
    outgoing: Cell;
    incoming: Cell;
    months: { month: string; outgoing: Cell; incoming: Cell }[];
    regions: { code: string; name: string; outgoing: Cell; incoming: Cell }[];
    regionFlows: (Cell & {
      origin: { code: string; name: string };
      destination: { code: string; name: string };
    })[];
    origins: (Cell & { territory: { id: string; name: string } })[];
    destinations: (Cell & { territory: { id: string; name: string } })[];
    flows: (Cell & {
      origin: { id: string; name: string };
      destination: { id: string; name: string };
    })[];
  };
};

/**
 * The mobility CSV: the scope's totals both ways, the monthly series, the regions' rows and
 * flows, the territories' totals and their flows; suppressed figures as "< 5", never a number.
 */
export function mobilityCsv(report: MobilityReport): string {
  const m = report.mobility;
  const figures = (c: Cell) =>
    c.suppressed ? ["< 5", "< 5"] : [String(c.visits ?? 0), String(c.members ?? 0)];
  const line = (
    group: string,
    direction: string,
    code: string,
    name: string,
    toCode: string,
    toName: string,
    month: string,
    c: Cell,
  ) => [group, direction, code, name, toCode, toName, month, ...figures(c)].map(csvCell).join(",");
  return `${[
    "group,direction,code,name,to_code,to_name,month,visits,members",
    line("total", "outgoing", "", "Total", "", "", m.month, m.outgoing),
    line("total", "incoming", "", "Total", "", "", m.month, m.incoming),
    ...m.months.flatMap((x) => [
      line("month", "outgoing", "", "", "", "", x.month, x.outgoing),
      line("month", "incoming", "", "", "", "", x.month, x.incoming),
    ]),
    ...m.regions.flatMap((r) => [
      line("region", "outgoing", r.code, r.name, "", "", m.month, r.outgoing),
      line("region", "incoming", r.code, r.name, "", "", m.month, r.incoming),
    ]),
    ...m.regionFlows.map((f) =>
      line(
        "region_flow",
        "",
        f.origin.code,
        f.origin.name,
        f.destination.code,
        f.destination.name,
        m.month,
        f,
      ),
    ),
    ...m.origins.map((o) =>
      line("origin", "outgoing", o.territory.id, o.territory.name, "", "", m.month, o),
    ),
    ...m.destinations.map((d) =>
      line("destination", "incoming", d.territory.id, d.territory.name, "", "", m.month, d),
    ),
    ...m.flows.map((f) =>
      line(
        "flow",
        "",
        f.origin.id,
        f.origin.name,
        f.destination.id,
        f.destination.name,
        m.month,
        f,
      ),
    ),
  ].join("\n")}\n`;
}

/** The training figures of a topic, a region or the whole scope (networkHealth.training). */
type TrainingFigures = Record<
  | "trainings"
  | "cancelledTrainings"
  | "seatsOffered"
  | "seatsFilled"
  | "waitlisted"
  | "attended"
  | "noShow"
  | "hoursDelivered"
  | "credentialsIssued"
  | "crossNodeEnrolments"
  | "crossNodeShare"
  | "cancellations",
  number
> &
  Record<"fillRate" | "waitlistPressure" | "attendanceRate" | "noShowRate", number | null>;
type TrainingReport = {
  from: string;
  to: string;
  training: TrainingFigures & { byTopic: (TrainingFigures & { topic: string })[] };
  regions: { code: string; name: string; training: TrainingFigures }[];
};

const TRAINING_COLUMNS: readonly (readonly [string, keyof TrainingFigures])[] = [
  ["trainings", "trainings"],
  ["cancelled_trainings", "cancelledTrainings"],
  ["seats_offered", "seatsOffered"],
  ["seats_filled", "seatsFilled"],
  ["fill_rate", "fillRate"],
  ["waitlisted", "waitlisted"],
  ["waitlist_pressure", "waitlistPressure"],
  ["attended", "attended"],
  ["no_show", "noShow"],
  ["attendance_rate", "attendanceRate"],
  ["no_show_rate", "noShowRate"],
  ["hours_delivered", "hoursDelivered"],
  ["credentials_issued", "credentialsIssued"],
  ["cross_node_enrolments", "crossNodeEnrolments"],
  ["cross_node_share", "crossNodeShare"],
  ["cancellations", "cancellations"],
];

/**
 * The training CSV: one row per topic, then one per region (national scopes), then the total,
 * all by session date (the hub's rollup day is the session's Europe/Paris start day).
 */
export function trainingCsv(report: TrainingReport): string {
  const header = ["group", "code", "name", "from", "to", ...TRAINING_COLUMNS.map(([n]) => n)];
  const line = (group: string, code: string, name: string, figures: TrainingFigures) =>
    [group, code, name, report.from, report.to, ...TRAINING_COLUMNS.map(([, key]) => figures[key])]
      .map(csvCell)
      .join(",");
  return `${[
    header.join(","),
    ...report.training.byTopic.map((t) => line("topic", t.topic, t.topic, t)),
    ...report.regions.map((r) => line("region", r.code, r.name, r.training)),
    line("total", "", "Total", report.training),
  ].join("\n")}\n`;
}

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
/** The mutualisation figures a CSV row shows, for a region or the whole scope. */
type Mutualisation = {
  sharedResources: number;
  bookings: number;
  bookedHours: number;
  crossNodeBookings: number;
  loans: number;
  utilisation: number | null;
};
type Activity = { visitors: number; events: number; participants: number; openHours: number };
type Health = {
  from: string;
  to: string;
  coverage: Coverage;
  liveness: { online: number; stale: number; silent: number };
  activity: Activity;
  mutualisation: Mutualisation;
  regions: ({ code: string; name: string; coverage: Coverage } & Activity & Mutualisation)[];
};

/** The CSV's columns, each with how a row fills it; `hub report --help` lists them. */
type Row = {
  code: string;
  name: string;
  coverage: Coverage;
  liveness: Health["liveness"] | undefined;
  activity: Activity;
  mutualisation: Mutualisation;
};
const COLUMNS: readonly (readonly [
  string,
  (row: Row, health: Health) => string | number | null,
])[] = [
  ["region_code", (r) => r.code],
  ["region", (r) => r.name],
  ["from", (_, h) => h.from],
  ["to", (_, h) => h.to],
  ["fabriques", (r) => r.coverage.fabriques],
  ["satellites", (r) => r.coverage.satellites],
  ["spaces", (r) => r.coverage.spaces],
  ["active_spaces", (r) => r.coverage.activeSpaces],
  ["silent_spaces", (r) => r.coverage.silentSpaces],
  ["communes_covered", (r) => r.coverage.communesCovered],
  ["rural_spaces", (r) => r.coverage.ruralSpaces],
  ["rural_share", (r) => r.coverage.ruralShare],
  ["nodes_online", (r) => r.liveness?.online ?? null],
  ["nodes_stale", (r) => r.liveness?.stale ?? null],
  ["nodes_silent", (r) => r.liveness?.silent ?? null],
  ["visitors", (r) => r.activity.visitors],
  ["events", (r) => r.activity.events],
  ["participants", (r) => r.activity.participants],
  ["open_hours", (r) => r.activity.openHours],
  ["shared_resources", (r) => r.mutualisation.sharedResources],
  ["bookings", (r) => r.mutualisation.bookings],
  ["booked_hours", (r) => r.mutualisation.bookedHours],
  ["cross_node_bookings", (r) => r.mutualisation.crossNodeBookings],
  ["loans", (r) => r.mutualisation.loans],
  ["utilisation", (r) => r.mutualisation.utilisation],
];

function csvCell(value: string | number | null): string {
  const text = value === null ? "" : String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * One row per region, then the whole scope's totals (regions shown only for national scopes).
 * The hub counts node liveness for the whole scope only: those cells are empty on region rows.
 */
export function healthCsv(health: Health): string {
  const line = (row: Row) => COLUMNS.map(([, cell]) => csvCell(cell(row, health))).join(",");
  const lines = [COLUMNS.map(([name]) => name).join(",")];
  for (const region of health.regions) {
    lines.push(
      line({
        code: region.code,
        name: region.name,
        coverage: region.coverage,
        liveness: undefined,
        activity: region,
        mutualisation: region,
      }),
    );
  }
  lines.push(
    line({
      code: "",
      name: "Total",
      coverage: health.coverage,
      liveness: health.liveness,
      activity: health.activity,
      mutualisation: health.mutualisation,
    }),
  );
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
  const section = v.section ?? "health";
  if (section !== "health" && section !== "training" && section !== "mobility")
    throw new UsageError(`--section must be health, training or mobility, got "${section}"`);
  if (format !== "csv" && format !== "json")
    throw new UsageError(`--format must be csv or json, got "${format}"`);
  for (const flag of ["from", "to"] as const) {
    const day = v[flag];
    if (day !== undefined && !DAY.test(day))
      throw new UsageError(`--${flag} must be a date YYYY-MM-DD, got "${day}"`);
  }
  if (v.hub !== undefined && !/^https?:\/\/./.test(v.hub)) {
    throw new UsageError(`--hub must be an http(s) URL, got "${v.hub}"`);
  }
  const api = await ctx.loadHubClient();
  const dataDir = dataDirOption(v["data-dir"], ctx.cwd);
  const config = loadConfig(api, ctx, dataDir === undefined ? {} : { dataDir });
  const token =
    ctx.env.MAILLAGE_TOKEN || (await signWithExistingKeys(api, config, { role: "NATIONAL" }, "5m"));
  const hub = await locateHub(api, ctx, config, v.hub);
  const filter = Object.fromEntries(
    Object.entries({ from: v.from, to: v.to, region: v.region, department: v.department }).filter(
      ([, x]) => x !== undefined,
    ),
  );
  let answer: GraphQLAnswer<{ networkHealth: Health & TrainingReport & MobilityReport }>;
  try {
    answer = await askHub<{ networkHealth: Health & TrainingReport & MobilityReport }>(
      ctx,
      hub,
      token,
      {
        query:
          section === "training"
            ? TRAINING_REPORT_QUERY
            : section === "mobility"
              ? MOBILITY_REPORT_QUERY
              : NETWORK_HEALTH_QUERY,
        variables: { filter },
      },
      120_000,
    );
  } catch (error) {
    throw new CommandFailure(
      `cannot reach the hub at ${hub.url} (${hub.source}): ${(error as Error).message}; give its URL with --hub`,
    );
  }
  const error = answer.errors?.[0];
  if (error || !answer.data) {
    throw new CommandFailure(
      `${error?.extensions?.code ?? `HTTP ${answer.status}`}: ${error?.message ?? "no answer from the hub"}`,
    );
  }
  const health = answer.data.networkHealth;
  const csv =
    section === "training" ? trainingCsv : section === "mobility" ? mobilityCsv : healthCsv;
  ctx.stdout(format === "json" ? `${JSON.stringify(health, null, 2)}\n` : csv(health));
  return 0;
}
