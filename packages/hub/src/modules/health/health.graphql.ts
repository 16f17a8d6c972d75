import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import type { HealthService } from "./health.service.ts";

/** `networkHealth`: what the national body sees of the mesh, at a glance. */

type Health = Awaited<ReturnType<HealthService["networkHealth"]>>;
type Coverage = Health["coverage"];

const CoverageFields = {
  fabriques: "open fabriques",
  satellites: "open satellites",
  spaces: "open spaces",
  activeSpaces: "open spaces whose latest report falls in the period",
  silentSpaces: "open spaces with no report in the 30 days before the period's end",
  communesCovered: "distinct communes with an open space",
  ruralSpaces: "open spaces in rural communes",
} as const;

const CoverageRef = builder.objectRef<Coverage>("Coverage").implement({
  fields: (t) => ({
    ...Object.fromEntries(
      Object.entries(CoverageFields).map(([name, description]) => [
        name,
        t.int({ description, resolve: (c) => c[name as keyof typeof CoverageFields] }),
      ]),
    ),
    ruralShare: t.float({
      description: "share of open spaces in rural communes, 0 to 1",
      resolve: (c) => c.ruralShare,
    }),
  }),
});

const DepartmentHealthRef = builder
  .objectRef<Health["regions"][number]["departments"][number]>("DepartmentHealth")
  .implement({
    fields: (t) => ({
      code: t.exposeString("code"),
      name: t.exposeString("name"),
      coverage: t.field({ type: CoverageRef, resolve: (d) => d }),
    }),
  });

const RegionHealthRef = builder.objectRef<Health["regions"][number]>("RegionHealth").implement({
  description: "One row per region, for the dashboard's map and table.",
  fields: (t) => ({
    code: t.exposeString("code"),
    name: t.exposeString("name"),
    coverage: t.field({ type: CoverageRef, resolve: (r) => r }),
    visitors: t.exposeInt("visitors"),
    events: t.exposeInt("events"),
    participants: t.exposeInt("participants"),
    openHours: t.exposeFloat("openHours"),
    departments: t.field({ type: [DepartmentHealthRef], resolve: (r) => r.departments }),
  }),
});

const ActivityTotalsRef = builder
  .objectRef<Health["activity"]["previous"]>("ActivityTotals")
  .implement({
    fields: (t) => ({
      visitors: t.exposeInt("visitors"),
      events: t.exposeInt("events"),
      participants: t.exposeInt("participants"),
      openHours: t.exposeFloat("openHours"),
      reports: t.exposeInt("reports", {
        description: "space-days reported (revisions counted once)",
      }),
    }),
  });

const ActivityHealthRef = builder.objectRef<Health["activity"]>("ActivityHealth").implement({
  description:
    "Totals of the period; trends in percent against the previous period of equal length (null when it had none).",
  fields: (t) => ({
    visitors: t.exposeInt("visitors"),
    events: t.exposeInt("events"),
    participants: t.exposeInt("participants"),
    openHours: t.exposeFloat("openHours"),
    reports: t.exposeInt("reports"),
    previous: t.field({ type: ActivityTotalsRef, resolve: (a) => a.previous }),
    visitorsTrend: t.exposeFloat("visitorsTrend", { nullable: true }),
    eventsTrend: t.exposeFloat("eventsTrend", { nullable: true }),
    participantsTrend: t.exposeFloat("participantsTrend", { nullable: true }),
    openHoursTrend: t.exposeFloat("openHoursTrend", { nullable: true }),
  }),
});

const NodeLagRef = builder.objectRef<Health["liveness"]["worstLags"][number]>("NodeLag").implement({
  fields: (t) => ({
    nodeId: t.exposeID("nodeId"),
    fabriqueName: t.exposeString("fabriqueName"),
    liveness: t.exposeString("liveness"),
    lastSeenAt: t.expose("lastSeenAt", { type: "DateTime", nullable: true }),
    pending: t.exposeInt("pending"),
    lagSeconds: t.exposeInt("lagSeconds"),
  }),
});

const LivenessHealthRef = builder.objectRef<Health["liveness"]>("LivenessHealth").implement({
  fields: (t) => ({
    online: t.exposeInt("online"),
    stale: t.exposeInt("stale"),
    silent: t.exposeInt("silent"),
    worstLags: t.field({ type: [NodeLagRef], resolve: (l) => l.worstLags }),
  }),
});

const NetworkHealthRef = builder.objectRef<Health>("NetworkHealth").implement({
  fields: (t) => ({
    scope: t.string({
      description: "NATION, REGION, DEPARTMENT or FABRIQUE",
      resolve: (h) => h.scope.scope,
    }),
    scopeId: t.string({ resolve: (h) => h.scope.scopeId }),
    from: t.exposeString("from"),
    to: t.exposeString("to"),
    coverage: t.field({ type: CoverageRef, resolve: (h) => h.coverage }),
    liveness: t.field({ type: LivenessHealthRef, resolve: (h) => h.liveness }),
    activity: t.field({ type: ActivityHealthRef, resolve: (h) => h.activity }),
    regions: t.field({ type: [RegionHealthRef], resolve: (h) => h.regions }),
  }),
});

const HealthFilterInput = builder.inputType("NetworkHealthFilter", {
  fields: (t) => ({
    region: t.string({ description: "INSEE region code" }),
    department: t.string({ description: "INSEE department code" }),
    fabrique: t.globalID({ description: "a fabrique's territory (itself and its satellites)" }),
    from: t.string({ description: "first day, YYYY-MM-DD (default: 29 days before `to`)" }),
    to: t.string({ description: "last day, YYYY-MM-DD (default: today)" }),
  }),
});

builder.queryFields((t) => ({
  networkHealth: t.field({
    type: NetworkHealthRef,
    authScopes: { national: true, anyFabriqueAdmin: true },
    description:
      "Coverage, liveness and activity of the network (NATIONAL), or of the caller's territory (FABRIQUE_ADMIN). Aggregates only, from rollups.",
    args: { filter: t.arg({ type: HealthFilterInput }) },
    resolve: (_parent, args, ctx) =>
      ctx.healthService.networkHealth(viewerOf(ctx), {
        ...args.filter,
        fabrique: args.filter?.fabrique?.id,
      }),
  }),
}));
