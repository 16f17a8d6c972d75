import {
  type AvailabilityWindow,
  type Closure,
  type Interval,
  RESOURCE_CATEGORIES,
  RESOURCE_STATUSES,
  requireId,
  SHARING_SCOPES,
} from "@maillage/schema";
import type { Context } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { type ForwardPage, forwardPage, refuseBackward } from "../../graphql/forward-pages.ts";
import { SpaceRef } from "../spaces/space.graphql.ts";
import { canSeeSpace } from "../spaces/visibility.ts";
import { checkRange, MAX_RANGE_DAYS } from "./availability.ts";
import { createResourceRepository, type ResourceRow } from "./resource.repository.ts";
import {
  createResourceRequest,
  DEFAULT_PAGE,
  encodeCursor,
  MAX_PAGE,
  PROXIMITY_TIERS,
  type ResourceRequest,
} from "./resource.service.ts";

/**
 * Shared resources at the hub (issue 5): discovery across the network (`resources`), one
 * resource (`resource`), and free slots (`resourceAvailability`, `Resource.freeSlots`):
 * windows minus confirmed bookings and loans, in Europe/Paris wall-clock time.
 *
 * Every Resource, however it is reached, passes canSeeResource: a fabrique's team sees NETWORK
 * and NATIONAL resources of everyone and LOCAL ones of its own network; the national body sees
 * the NATIONAL ones. The free slots of a page cost one SQL statement for the whole page.
 */

const requests = new WeakMap<Context, ResourceRequest>();

/** The request's discovery state (caches and loaders), created on first use. */
export function resourcesOf(ctx: Context): ResourceRequest {
  let request = requests.get(ctx);
  if (!request) {
    request = createResourceRequest({
      repository: createResourceRepository(ctx.prisma),
      geography: ctx.geography,
      viewer: ctx.viewer,
    });
    requests.set(ctx, request);
  }
  return request;
}

export const ResourceCategoryEnum = builder.enumType("ResourceCategory", {
  values: RESOURCE_CATEGORIES,
});
export const SharingScopeEnum = builder.enumType("SharingScope", {
  description:
    "LOCAL: the owner's network only; NETWORK: every node; NATIONAL: every node, and listed to the national body.",
  values: SHARING_SCOPES,
});
export const ResourceStatusEnum = builder.enumType("ResourceStatus", {
  values: RESOURCE_STATUSES,
});
const ProximityEnum = builder.enumType("Proximity", {
  description:
    "How close a resource's place is to a commune: the commune itself, its EPCI (intercommunalité), its department, its region.",
  values: PROXIMITY_TIERS,
});

export const TimeSlotRef = builder.objectRef<Interval>("TimeSlot").implement({
  description: "A free period [startsAt, endsAt).",
  fields: (t) => ({
    startsAt: t.field({ type: "DateTime", resolve: (s) => s.from }),
    endsAt: t.field({ type: "DateTime", resolve: (s) => s.to }),
    minutes: t.int({
      resolve: (s) => Math.round((s.to.getTime() - s.from.getTime()) / 60_000),
    }),
  }),
});

const BookingRulesRef = builder.objectRef<ResourceRow>("BookingRules").implement({
  fields: (t) => ({
    minMinutes: t.exposeInt("minMinutes", { description: "Shortest booking" }),
    maxMinutes: t.exposeInt("maxMinutes", { description: "Longest booking" }),
    leadMinutes: t.exposeInt("leadMinutes", { description: "Booked at least this long before" }),
    cancelDeadlineMinutes: t.exposeInt("cancelDeadlineMinutes", {
      description: "Cancelled at least this long before it starts",
    }),
  }),
});

const AvailabilityWindowRef = builder
  .objectRef<AvailabilityWindow>("AvailabilityWindow")
  .implement({
    description: "Open from `opens` to `closes` (Europe/Paris) on the days of `rrule`.",
    fields: (t) => ({
      rrule: t.exposeString("rrule", { description: "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR,SA" }),
      opens: t.exposeString("opens", { description: "HH:MM" }),
      closes: t.exposeString("closes", { description: "HH:MM, or 24:00" }),
    }),
  });

const ClosureRef = builder.objectRef<Closure>("ResourceClosure").implement({
  description: "Days (Europe/Paris dates, both included) the resource is closed.",
  fields: (t) => ({
    from: t.string({ resolve: (c) => c.from, description: "YYYY-MM-DD" }),
    to: t.string({ resolve: (c) => c.to ?? c.from, description: "YYYY-MM-DD" }),
  }),
});

const ResourceLocationRef = builder.objectRef<ResourceRow>("ResourceLocation").implement({
  description:
    "Where a resource is: its hosting space's name and commune, and the fabrique of that network.",
  fields: (t) => ({
    spaceName: t.exposeString("spaceName"),
    communeCode: t.exposeString("communeCode", { description: "INSEE code" }),
    communeName: t.exposeString("communeName"),
    departmentCode: t.exposeString("departmentCode"),
    departmentName: t.string({
      resolve: (r, _args, ctx) => ctx.geography.department(r.departmentCode)?.name ?? "",
    }),
    regionCode: t.exposeString("regionCode"),
    regionName: t.string({
      resolve: (r, _args, ctx) => ctx.geography.region(r.regionCode)?.name ?? "",
    }),
    epciCode: t.string({
      nullable: true,
      description: "SIREN of the commune's EPCI (intercommunalité)",
      resolve: (r, _args, ctx) => ctx.geography.epciOf(r.communeCode)?.code ?? null,
    }),
    fabriqueName: t.exposeString("fabriqueName"),
  }),
});

export const ResourceRef = builder.node(builder.objectRef<ResourceRow>("Resource"), {
  description: "A shared resource (machine, room, vehicle, kit…) hosted at a space.",
  id: { resolve: (r) => r.id },
  authScopes: (r, ctx) =>
    ctx.viewer?.role === "NATIONAL"
      ? r.sharingScope === "NATIONAL"
      : ctx.viewer?.role === "FABRIQUE_ADMIN" &&
        (r.sharingScope !== "LOCAL" || r.networkId === ctx.viewer.fabriqueId),
  loadMany: (ids, ctx) => resourcesOf(ctx).visible(ids),
  fields: (t) => ({
    name: t.exposeString("name"),
    category: t.expose("category", { type: ResourceCategoryEnum }),
    description: t.exposeString("description", { nullable: true }),
    sharingScope: t.expose("sharingScope", { type: SharingScopeEnum }),
    requiredCredential: t.exposeString("requiredCredential", {
      nullable: true,
      description: "The credential type a member must hold to book it",
    }),
    rules: t.field({ type: BookingRulesRef, resolve: (r) => r }),
    status: t.expose("status", { type: ResourceStatusEnum }),
    movable: t.exposeBoolean("movable"),
    approvalRequired: t.exposeBoolean("approvalRequired", {
      description: "Requests from other nodes wait for a person's decision",
    }),
    windows: t.field({ type: [AvailabilityWindowRef], resolve: (r) => r.windows }),
    closures: t.field({ type: [ClosureRef], resolve: (r) => r.closures }),
    ownerNodeId: t.exposeID("ownerNodeId", {
      description: "The node agent that owns it (the only writer)",
    }),
    location: t.field({ type: ResourceLocationRef, resolve: (r) => r }),
    space: t.field({
      type: SpaceRef,
      nullable: true,
      description:
        "The hosting space, for callers who may see it (the national body, its own network's team); null for others — see `location`.",
      resolve: (r, _args, ctx) =>
        canSeeSpace(ctx.viewer, {
          id: r.spaceId,
          fabriqueId: r.networkId === r.spaceId ? null : r.networkId,
        })
          ? ctx.prisma.space.findUnique({ where: { id: r.spaceId } })
          : null,
    }),
    proximity: t.field({
      type: ProximityEnum,
      nullable: true,
      description: "How close it is to `near` (in a search with `near`)",
      resolve: (r) => (r.tier === null ? null : (PROXIMITY_TIERS[r.tier] ?? null)),
    }),
    freeSlots: t.field({
      type: [TimeSlotRef],
      description: `Free slots in [from, to) (at most ${MAX_RANGE_DAYS} days) of at least the resource's minMinutes: its windows minus closures and confirmed bookings and loans. None unless AVAILABLE. Lead time and the past are not applied: the owner checks them at booking.`,
      args: {
        from: t.arg({ type: "DateTime", required: true }),
        to: t.arg({ type: "DateTime", required: true }),
      },
      resolve: (r, args, ctx) =>
        resourcesOf(ctx).freeSlots(r, checkRange(args.from, args.to, { from: "from", to: "to" })),
    }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

export const NearInput = builder.inputType("NearInput", {
  fields: (t) => ({
    communeCode: t.string({ required: true, description: "INSEE code of a current commune" }),
    within: t.field({
      type: ProximityEnum,
      defaultValue: "DEPARTMENT",
      description:
        "How far: the commune, its EPCI, its department (default; with the EPCI's communes across the border) or its region (likewise).",
    }),
  }),
});

const ResourceFilterInput = builder.inputType("ResourceFilter", {
  fields: (t) => ({
    category: t.field({ type: ResourceCategoryEnum }),
    sharingScope: t.field({ type: SharingScopeEnum }),
    region: t.string({ description: "INSEE region code, e.g. 84" }),
    department: t.string({ description: "Department code, e.g. 07" }),
    near: t.field({
      type: NearInput,
      description:
        "Around a commune, ordered by proximity: same commune, same EPCI, same department, same region (then name).",
    }),
    availableFrom: t.field({
      type: "DateTime",
      description: `With availableTo (at most ${MAX_RANGE_DAYS} days later): only AVAILABLE resources with a free slot in the range of at least max(their minMinutes, filter.minMinutes).`,
    }),
    availableTo: t.field({ type: "DateTime" }),
    minMinutes: t.int({
      description:
        "Resources that can be booked this long (maxMinutes ≥ it); with a range, a free slot this long.",
    }),
    credential: t.string({ description: "Only resources requiring this credential type" }),
    bookableWith: t.stringList({
      description:
        "Only resources requiring no credential or one of these (what a holder of these credentials may book)",
    }),
  }),
});

const readers = { national: true, anyFabriqueAdmin: true } as const;

type PageShape = ForwardPage<ResourceRow, (() => Promise<number>) | null>;

builder.queryFields((t) => ({
  resource: t.field({
    type: ResourceRef,
    authScopes: readers,
    description: "A resource visible to the caller; NOT_FOUND otherwise.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => resourcesOf(ctx).resource(requireId(String(args.id), "id")),
  }),
  resources: t.connection(
    {
      type: ResourceRef,
      authScopes: readers,
      description: `Resources visible to the caller (RETIRED ones and those of closed spaces left out), by proximity to \`near\` when given, else by name; pages of ${DEFAULT_PAGE} by default, ${MAX_PAGE} at most, forward only (first/after).`,
      args: { filter: t.arg({ type: ResourceFilterInput }) },
      resolve: async (_parent, args, ctx) => {
        refuseBackward(args);
        const page = await resourcesOf(ctx).search(args.filter ?? {}, {
          first: args.first,
          after: args.after,
        });
        const result: PageShape = forwardPage(page, encodeCursor);
        return result;
      },
    },
    {
      name: "ResourceConnection",
      fields: (c) => ({
        totalCount: c.int({
          nullable: true,
          description:
            "Resources matching the filter; null with availableFrom/availableTo (availability is computed page by page, not for every candidate).",
          resolve: (connection) => {
            const count = (connection as unknown as PageShape).totalCount;
            return count ? count() : null;
          },
        }),
      }),
    },
    { name: "ResourceEdge" },
  ),
  resourceAvailability: t.field({
    type: [TimeSlotRef],
    authScopes: readers,
    description: `Free slots of a visible resource in [from, to), at most ${MAX_RANGE_DAYS} days: see Resource.freeSlots.`,
    args: {
      resourceId: t.arg.id({ required: true }),
      from: t.arg({ type: "DateTime", required: true }),
      to: t.arg({ type: "DateTime", required: true }),
    },
    resolve: (_parent, args, ctx) =>
      resourcesOf(ctx).availability(
        requireId(String(args.resourceId), "resourceId"),
        args.from,
        args.to,
      ),
  }),
}));
