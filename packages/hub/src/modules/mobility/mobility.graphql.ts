import { CHECK_IN_METHODS, type CheckInMethod, MaillageError, requireId } from "@maillage/schema";
import { filter, pipe } from "graphql-yoga";
import type { Context, Viewer } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { subscribeLatest, type VisitRecordedEvent } from "../../realtime/pubsub.ts";
import { NetworkHealthRef } from "../health/health.graphql.ts";
import { SpaceRef } from "../spaces/space.graphql.ts";
import { canSeeSpace } from "../spaces/visibility.ts";
import { createMobilityHealthService } from "./mobility-health.service.ts";

/**
 * Mobility at the hub (issue 11): the `mobility` section of networkHealth (aggregates only,
 * small cells suppressed) and `visitRecorded`, live, for the teams of the home and the visited
 * places — never the national body, which sees counts only (networkHealth, networkEvents).
 */

const DEFAULT_FIRST = 100;
const MAX_FIRST = 2000;

function first(value: number | null | undefined): number {
  const n = value ?? DEFAULT_FIRST;
  if (!Number.isInteger(n) || n < 0 || n > MAX_FIRST) {
    throw new MaillageError("BAD_USER_INPUT", `first: 0 to ${MAX_FIRST}`, { field: "first" });
  }
  return n;
}

type Mobility = Awaited<ReturnType<ReturnType<typeof createMobilityHealthService>["mobility"]>>;
type Figures = Mobility["outgoing"];

const CellRef = builder.interfaceRef<Figures>("MobilityCell").implement({
  description:
    'Visits away from home and distinct members of one flow and month; "< 5" (suppressed) when fewer than 5 members, or when a total would let such a cell be recomputed.',
  fields: (t) => ({
    visits: t.exposeInt("visits", {
      nullable: true,
      description: "visits away from home (null when suppressed)",
    }),
    members: t.exposeInt("members", {
      nullable: true,
      description: "distinct members behind them that month (null when suppressed)",
    }),
    suppressed: t.exposeBoolean("suppressed", {
      description:
        "true: fewer than 5 distinct members, or hidden so that another such cell cannot be recomputed from the totals",
    }),
  }),
});

const FiguresRef = builder.objectRef<Figures>("MobilityFigures").implement({
  description: "Visits away from home and distinct members of one flow and month.",
  interfaces: [CellRef],
  fields: () => ({}),
});

const MonthRef = builder.objectRef<Mobility["months"][number]>("MobilityMonth").implement({
  fields: (t) => ({
    month: t.exposeString("month", { description: "YYYY-MM" }),
    outgoing: t.field({ type: FiguresRef, resolve: (m) => m.outgoing }),
    incoming: t.field({ type: FiguresRef, resolve: (m) => m.incoming }),
  }),
});

const TerritoryRef = builder
  .objectRef<{ id: string; name: string }>("MobilityTerritory")
  .implement({
    description: "A fabrique territory: the fabrique (id, name) and its satellites.",
    fields: (t) => ({ id: t.exposeID("id"), name: t.exposeString("name") }),
  });

const FlowRef = builder.objectRef<Mobility["flows"][number]>("MobilityFlow").implement({
  description:
    "Members of the origin territory's places visiting the destination territory's places (the same territory: between its places), that month.",
  interfaces: [CellRef],
  fields: (t) => ({
    origin: t.field({ type: TerritoryRef, resolve: (f) => f.origin }),
    destination: t.field({ type: TerritoryRef, resolve: (f) => f.destination }),
  }),
});

const TerritoryTotalRef = builder
  .objectRef<Mobility["origins"][number]>("MobilityTerritoryTotal")
  .implement({
    description: "A territory's total over every flow from it (origins) or to it (destinations).",
    interfaces: [CellRef],
    fields: (t) => ({
      territory: t.field({ type: TerritoryRef, resolve: (r) => r.territory }),
    }),
  });

const RegionRef = builder.objectRef<{ code: string; name: string }>("MobilityRegion").implement({
  fields: (t) => ({ code: t.exposeString("code"), name: t.exposeString("name") }),
});

const RegionRowRef = builder
  .objectRef<Mobility["regions"][number]>("MobilityRegionHealth")
  .implement({
    description:
      "A region's members away from home (outgoing) and the visits its places received (incoming).",
    fields: (t) => ({
      code: t.exposeString("code"),
      name: t.exposeString("name"),
      outgoing: t.field({ type: FiguresRef, resolve: (r) => r.outgoing }),
      incoming: t.field({ type: FiguresRef, resolve: (r) => r.incoming }),
    }),
  });

const RegionFlowRef = builder
  .objectRef<Mobility["regionFlows"][number]>("MobilityRegionFlow")
  .implement({
    interfaces: [CellRef],
    fields: (t) => ({
      origin: t.field({ type: RegionRef, resolve: (f) => f.origin }),
      destination: t.field({ type: RegionRef, resolve: (f) => f.destination }),
    }),
  });

const MobilityHealthRef = builder.objectRef<Mobility>("MobilityHealth").implement({
  description:
    "Member mobility from the monthly mobility rollup: the month of the period's last day (distinct members are counted per calendar month), the month before, and every month since the period's first day. Only visits away from home count (at a place other than the member's home space). Every figure under 5 distinct members is suppressed (\"< 5\": null with suppressed true), and so are second figures wherever a total would let a suppressed one be recomputed. Trends in percent against the month before (null when either is suppressed or zero).",
  fields: (t) => ({
    month: t.exposeString("month", { description: "YYYY-MM: the month of `to`" }),
    previousMonth: t.exposeString("previousMonth"),
    outgoing: t.field({
      type: FiguresRef,
      description:
        "Visits away from home by members homed in the scope, and those members: the members using more than one place",
      resolve: (m) => m.outgoing,
    }),
    incoming: t.field({
      type: FiguresRef,
      description: "Visits the scope's places received from members away from home",
      resolve: (m) => m.incoming,
    }),
    previous: t.field({
      type: MonthRef,
      resolve: (m) => ({ month: m.previousMonth, ...m.previous }),
    }),
    outgoingVisitsTrend: t.exposeFloat("outgoingVisitsTrend", { nullable: true }),
    outgoingMembersTrend: t.exposeFloat("outgoingMembersTrend", { nullable: true }),
    incomingVisitsTrend: t.exposeFloat("incomingVisitsTrend", { nullable: true }),
    months: t.field({ type: [MonthRef], resolve: (m) => m.months }),
    flows: t.field({
      type: [FlowRef],
      description: `The origin → destination matrix between fabrique territories (the member's home place's → the visited place's): its non-empty cells with a territory of the scope on either side, largest first, suppressed ones last (at the nation: none — see regionFlows, or narrow the scope to a region). The first \`first\` (default ${DEFAULT_FIRST}, at most ${MAX_FIRST}); flowCount says how many there are.`,
      args: { first: t.arg.int() },
      resolve: (m, args) => m.flows.slice(0, first(args.first)),
    }),
    flowCount: t.int({ resolve: (m) => m.flows.length }),
    origins: t.field({
      type: [TerritoryTotalRef],
      description:
        "The matrix's row totals: each territory of the scope to anywhere, largest first (paged like flows)",
      args: { first: t.arg.int() },
      resolve: (m, args) => m.origins.slice(0, first(args.first)),
    }),
    destinations: t.field({
      type: [TerritoryTotalRef],
      description:
        "The matrix's column totals: anywhere to each territory of the scope, largest first (paged like flows)",
      args: { first: t.arg.int() },
      resolve: (m, args) => m.destinations.slice(0, first(args.first)),
    }),
    territoryCount: t.int({
      description: "Territories of the scope with a total (origins or destinations)",
      resolve: (m) => new Set([...m.origins, ...m.destinations].map((r) => r.territory.id)).size,
    }),
    regions: t.field({
      type: [RegionRowRef],
      description: "Per-region rows (the nation's regions, or the region in scope)",
      resolve: (m) => m.regions,
    }),
    regionFlows: t.field({
      type: [RegionFlowRef],
      description: "Region → region flows (at the nation's or a region's scope)",
      resolve: (m) => m.regionFlows,
    }),
  }),
});

builder.objectField(NetworkHealthRef, "mobility", (t) =>
  t.field({
    type: MobilityHealthRef,
    description:
      "Member mobility in the territory: visits away from home, members using more than one place, flows between fabrique territories (monthly; small cells suppressed).",
    resolve: (h, _args, ctx) =>
      createMobilityHealthService({ store: ctx.store, geography: ctx.geography }).mobility(
        h.scope,
        h.from,
        h.to,
      ),
  }),
);

// ── Live ─────────────────────────────────────────────────────────────────────────────────────

const CheckInMethodEnum = builder.enumType("CheckInMethod", { values: CHECK_IN_METHODS });

type VisitView = VisitRecordedEvent;

const spaceFor = (ctx: Context, id: string) =>
  ctx.prisma.space
    .findUnique({ where: { id } })
    .then((space) => (space && canSeeSpace(ctx.viewer, space) ? space : null));

const VisitRef = builder.objectRef<VisitView>("Visit").implement({
  description:
    "A member's visit to a space: owned by the visited node, routed to the member's home node. memberId is pseudonymous (null once erased).",
  fields: (t) => ({
    id: t.exposeID("id"),
    memberId: t.exposeID("memberId", { nullable: true }),
    homeSpaceId: t.exposeID("homeSpaceId"),
    homeSpace: t.field({
      type: SpaceRef,
      nullable: true,
      description: "The home space, for callers who may see it",
      resolve: (v, _args, ctx) => spaceFor(ctx, v.homeSpaceId),
    }),
    spaceId: t.exposeID("spaceId"),
    space: t.field({
      type: SpaceRef,
      nullable: true,
      description: "The visited space, for callers who may see it",
      resolve: (v, _args, ctx) => spaceFor(ctx, v.spaceId),
    }),
    day: t.exposeString("day", { description: "YYYY-MM-DD, the visited space's local date" }),
    arrivedAt: t.field({ type: "DateTime", resolve: (v) => new Date(v.arrivedAt) }),
    departedAt: t.field({
      type: "DateTime",
      nullable: true,
      resolve: (v) => (v.departedAt === null ? null : new Date(v.departedAt)),
    }),
    durationMinutes: t.int({
      nullable: true,
      resolve: (v) =>
        v.departedAt === null
          ? null
          : Math.round((Date.parse(v.departedAt) - Date.parse(v.arrivedAt)) / 60_000),
    }),
    method: t.field({ type: CheckInMethodEnum, resolve: (v) => v.method as CheckInMethod }),
  }),
});

/** A visit a caller may hear of: the teams of the member's home place and of the visited one. */
export function canSeeVisit(
  viewer: Viewer | null,
  v: Pick<VisitView, "homeNetworkId" | "networkId">,
): boolean {
  return (
    viewer?.role === "FABRIQUE_ADMIN" &&
    (viewer.fabriqueId === v.homeNetworkId || viewer.fabriqueId === v.networkId)
  );
}

builder.subscriptionFields((t) => ({
  visitRecorded: t.field({
    type: VisitRef,
    authScopes: { anyFabriqueAdmin: true },
    description:
      "Visits the hub writes (check-ins, check-outs, anonymised after an erasure), after commit: a fabrique's team hears those at its places and those of its members anywhere. `spaceId` follows one of its spaces, visited or home (NOT_FOUND otherwise). The national body sees counts only (networkHealth, networkEvents).",
    args: { spaceId: t.arg.id({ description: "Only visits at, or of members of, this space" }) },
    subscribe: async (_parent, args, ctx) => {
      const only = args.spaceId == null ? null : requireId(String(args.spaceId), "spaceId");
      if (only !== null && (await spaceFor(ctx, only)) === null) {
        throw new MaillageError("NOT_FOUND", `no space ${only} in your network`);
      }
      return pipe(
        subscribeLatest(ctx.pubsub, "visit:recorded", 256),
        filter(
          (v) =>
            (only === null || v.spaceId === only || v.homeSpaceId === only) &&
            canSeeVisit(ctx.viewer, v),
        ),
      );
    },
    resolve: (v) => v,
  }),
}));
