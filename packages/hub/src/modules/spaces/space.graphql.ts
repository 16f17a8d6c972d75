import { parseId, requireId } from "@maillage/schema";
import { filter, pipe } from "graphql-yoga";
import { type Viewer, viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { loadOncePerEvent } from "../../realtime/fanout.ts";
import { subscribeLatest } from "../../realtime/pubsub.ts";
import { type SpaceConditions, spacePageOf } from "./space-page.repository.ts";
import { canSeeSpace, visibleSpaces } from "./visibility.ts";

/**
 * The network registry in GraphQL: spaces (fabriques and satellites), their communes, and
 * regional counts. Lists go through Pothos prisma selections, so a page of satellites with
 * their fabrique costs a constant number of SQL queries.
 */

export const SpaceKindEnum = builder.enumType("SpaceKind", {
  values: ["FABRIQUE", "SATELLITE"] as const,
});
export const SpaceStatusEnum = builder.enumType("SpaceStatus", {
  values: ["OPEN", "CLOSED"] as const,
});

const RegionRef = builder.objectRef<{ code: string; name: string }>("Region").implement({
  fields: (t) => ({ code: t.exposeString("code"), name: t.exposeString("name") }),
});

const DepartmentRef = builder
  .objectRef<{ code: string; name: string; regionCode: string }>("Department")
  .implement({
    fields: (t) => ({
      code: t.exposeString("code"),
      name: t.exposeString("name"),
      region: t.field({
        type: RegionRef,
        resolve: (d, _args, ctx) =>
          ctx.geography.region(d.regionCode) ?? { code: d.regionCode, name: d.regionCode },
      }),
    }),
  });

type CommuneShape = {
  code: string;
  name: string;
  departmentCode: string;
  regionCode: string;
  population: number;
  rural: boolean;
};

const CommuneRef = builder.objectRef<CommuneShape>("Commune").implement({
  description: "A French commune (INSEE code), from the official administrative geography.",
  fields: (t) => ({
    code: t.exposeString("code", { description: "INSEE code" }),
    name: t.exposeString("name"),
    population: t.exposeInt("population"),
    rural: t.exposeBoolean("rural", {
      description: "Fewer than 2,000 inhabitants (INSEE's rural commune threshold).",
    }),
    department: t.field({
      type: DepartmentRef,
      resolve: (c, _args, ctx) =>
        ctx.geography.department(c.departmentCode) ?? {
          code: c.departmentCode,
          name: c.departmentCode,
          regionCode: c.regionCode,
        },
    }),
    region: t.field({
      type: RegionRef,
      resolve: (c, _args, ctx) =>
        ctx.geography.region(c.regionCode) ?? { code: c.regionCode, name: c.regionCode },
    }),
  }),
});

const OpeningSlotRef = builder
  .objectRef<{ day: number; opens: string; closes: string }>("OpeningSlot")
  .implement({
    fields: (t) => ({
      day: t.exposeInt("day", { description: "1 = Monday … 7 = Sunday" }),
      opens: t.exposeString("opens"),
      closes: t.exposeString("closes"),
    }),
  });

export const OpeningSlotInput = builder.inputType("OpeningSlotInput", {
  fields: (t) => ({
    day: t.int({ required: true, description: "1 = Monday … 7 = Sunday" }),
    opens: t.string({ required: true, description: "HH:MM" }),
    closes: t.string({ required: true, description: "HH:MM" }),
  }),
});

export const SpaceRef = builder.prismaNode("Space", {
  id: { field: "id" },
  description: "A tiers-lieu of the network: a fabrique de territoire or one of its satellites.",
  // Checked on every Space however it is reached (list, node(id), relation).
  authScopes: (space, ctx) => canSeeSpace(ctx.viewer, space),
  fields: (t) => ({
    kind: t.expose("kind", { type: SpaceKindEnum }),
    name: t.exposeString("name"),
    status: t.expose("status", { type: SpaceStatusEnum }),
    commune: t.field({
      type: CommuneRef,
      select: {
        communeCode: true,
        communeName: true,
        departmentCode: true,
        regionCode: true,
        population: true,
        rural: true,
      },
      resolve: (s) => ({
        code: s.communeCode,
        name: s.communeName,
        departmentCode: s.departmentCode,
        regionCode: s.regionCode,
        population: s.population,
        rural: s.rural,
      }),
    }),
    rural: t.exposeBoolean("rural"),
    services: t.exposeStringList("services"),
    openingHours: t.field({
      type: [OpeningSlotRef],
      select: { openingHours: true },
      resolve: (s) => s.openingHours as { day: number; opens: string; closes: string }[],
    }),
    fabrique: t.relation("fabrique", {
      nullable: true,
      description: "For a satellite, the fabrique that animates it.",
    }),
    satellites: t.relatedConnection(
      "satellites",
      { cursor: "id", query: { orderBy: { id: "asc" } }, totalCount: true },
      { name: "SatelliteConnection" },
      { name: "SatelliteEdge" },
    ),
    node: t.relation("node", {
      nullable: true,
      description: "The fabrique's node agent, once enrolled.",
    }),
    memberCount: t.relationCount("members"),
    closedAt: t.expose("closedAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const SpaceFilter = builder.inputType("SpaceFilter", {
  fields: (t) => ({
    kind: t.field({ type: SpaceKindEnum }),
    status: t.field({ type: SpaceStatusEnum }),
    region: t.string({ description: "INSEE region code, e.g. 84" }),
    department: t.string({ description: "INSEE department code, e.g. 07" }),
    rural: t.boolean(),
    fabriqueId: t.id({ description: "Spaces of this fabrique's network (itself included)" }),
  }),
});

const DepartmentCount = builder
  .objectRef<{ code: string; name: string; fabriques: number; satellites: number; rural: number }>(
    "DepartmentCount",
  )
  .implement({
    fields: (t) => ({
      code: t.exposeString("code"),
      name: t.exposeString("name"),
      fabriques: t.exposeInt("fabriques"),
      satellites: t.exposeInt("satellites"),
      ruralSpaces: t.exposeInt("rural"),
    }),
  });

type RegionCountShape = {
  code: string;
  name: string;
  fabriques: number;
  satellites: number;
  rural: number;
  departments: {
    code: string;
    name: string;
    fabriques: number;
    satellites: number;
    rural: number;
  }[];
};

const RegionCount = builder.objectRef<RegionCountShape>("RegionCount").implement({
  description: "Open spaces of a region, with the departments that have any.",
  fields: (t) => ({
    code: t.exposeString("code"),
    name: t.exposeString("name"),
    fabriques: t.exposeInt("fabriques"),
    satellites: t.exposeInt("satellites"),
    ruralSpaces: t.exposeInt("rural"),
    departments: t.field({ type: [DepartmentCount], resolve: (r) => r.departments }),
  }),
});

const readers = { national: true, anyFabriqueAdmin: true } as const;

builder.queryFields((t) => ({
  spaces: t.prismaConnection(
    {
      type: "Space",
      cursor: "id",
      authScopes: readers,
      description:
        "Spaces visible to the caller, oldest first; pages of 50 by default, 500 at most.",
      args: { filter: t.arg({ type: SpaceFilter }) },
      totalCount: (_parent, args, ctx) =>
        ctx.prisma.space.count({ where: spaceWhere(ctx.viewer, args.filter) }),
      resolve: async (query, _parent, args, ctx) => {
        const page = await spacePageOf(ctx.store, query, spaceConditions(ctx.viewer, args.filter));
        // Prisma only for a selection the one-statement page does not cover.
        return (
          page ??
          ctx.prisma.space.findMany({
            ...query,
            where: spaceWhere(ctx.viewer, args.filter),
            orderBy: { id: "asc" },
          })
        );
      },
    },
    { name: "SpaceConnection" },
    { name: "SpaceEdge" },
  ),
  space: t.prismaField({
    type: "Space",
    nullable: true,
    authScopes: readers,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _parent, args, ctx) => {
      const id = parseId(String(args.id));
      if (!id.ok) return null;
      const space = await ctx.prisma.space.findUnique({ ...query, where: { id: id.id } });
      return space && canSeeSpace(ctx.viewer, space) ? space : null;
    },
  }),
  fabriques: t.prismaField({
    type: ["Space"],
    authScopes: readers,
    description: "Open fabriques visible to the caller, by name.",
    resolve: (query, _parent, _args, ctx) =>
      ctx.prisma.space.findMany({
        ...query,
        where: { AND: [visibleSpaces(ctx.viewer), { kind: "FABRIQUE", status: "OPEN" }] },
        orderBy: { name: "asc" },
      }),
  }),
  regions: t.field({
    type: [RegionCount],
    authScopes: readers,
    description: "Counts of open spaces per region and department (within the caller's view).",
    resolve: async (_parent, _args, ctx) => {
      const rows = await ctx.spaceRepository.countsByDepartment(visibleSpaces(ctx.viewer));
      return groupRegions(rows, ctx.geography);
    },
  }),
}));

type SpaceFilterArgs =
  | {
      kind?: "FABRIQUE" | "SATELLITE" | null;
      status?: "OPEN" | "CLOSED" | null;
      region?: string | null;
      department?: string | null;
      rural?: boolean | null;
      fabriqueId?: string | number | null;
    }
  | null
  | undefined;

/** spaceWhere's conditions for the store's page (the same rules: visibleSpaces, the filter). */
function spaceConditions(viewer: Viewer | null, filter: SpaceFilterArgs): SpaceConditions {
  const f = filter ?? {};
  const visible: SpaceConditions["visible"] =
    viewer?.role === "NATIONAL"
      ? "all"
      : viewer?.role === "FABRIQUE_ADMIN" && viewer.fabriqueId
        ? { network: viewer.fabriqueId }
        : "nothing";
  return {
    visible,
    kind: f.kind,
    status: f.status,
    regionCode: f.region,
    departmentCode: f.department,
    rural: f.rural,
    fabriqueId: f.fabriqueId == null ? null : requireId(String(f.fabriqueId), "filter.fabriqueId"),
  };
}

function spaceWhere(viewer: Viewer | null, filter: SpaceFilterArgs) {
  const f = filter ?? {};
  const fabrique =
    f.fabriqueId == null ? null : requireId(String(f.fabriqueId), "filter.fabriqueId");
  return {
    AND: [
      visibleSpaces(viewer),
      {
        ...(f.kind ? { kind: f.kind } : {}),
        ...(f.status ? { status: f.status } : {}),
        ...(f.region ? { regionCode: f.region } : {}),
        ...(f.department ? { departmentCode: f.department } : {}),
        ...(f.rural != null ? { rural: f.rural } : {}),
        ...(fabrique ? { OR: [{ id: fabrique }, { fabriqueId: fabrique }] } : {}),
      },
    ],
  };
}

function groupRegions(
  rows: {
    regionCode: string;
    departmentCode: string;
    kind: string;
    rural: boolean;
    count: number;
  }[],
  geography: {
    region(code: string): { name: string } | undefined;
    department(code: string): { name: string } | undefined;
  },
): RegionCountShape[] {
  const regions = new Map<string, RegionCountShape>();
  for (const row of rows) {
    let region = regions.get(row.regionCode);
    if (!region) {
      region = {
        code: row.regionCode,
        name: geography.region(row.regionCode)?.name ?? row.regionCode,
        fabriques: 0,
        satellites: 0,
        rural: 0,
        departments: [],
      };
      regions.set(row.regionCode, region);
    }
    let department = region.departments.find((d) => d.code === row.departmentCode);
    if (!department) {
      department = {
        code: row.departmentCode,
        name: geography.department(row.departmentCode)?.name ?? row.departmentCode,
        fabriques: 0,
        satellites: 0,
        rural: 0,
      };
      region.departments.push(department);
    }
    for (const target of [region, department]) {
      if (row.kind === "FABRIQUE") target.fabriques += row.count;
      else target.satellites += row.count;
      if (row.rural) target.rural += row.count;
    }
  }
  const sorted = [...regions.values()].sort((a, b) => a.code.localeCompare(b.code));
  for (const r of sorted) r.departments.sort((a, b) => a.code.localeCompare(b.code));
  return sorted;
}

const CreateSpaceFields = builder.inputType("CreateSpaceInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    communeCode: t.string({ required: true, description: "INSEE code of the commune" }),
    services: t.stringList(),
    openingHours: t.field({ type: [OpeningSlotInput] }),
  }),
});

const UpdateSpaceFields = builder.inputType("UpdateSpaceInput", {
  fields: (t) => ({
    name: t.string(),
    communeCode: t.string(),
    services: t.stringList(),
    openingHours: t.field({ type: [OpeningSlotInput] }),
  }),
});

/** GraphQL gives null for omitted optional fields; the contract wants them absent. */
function withoutNulls(input: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined));
}

builder.mutationFields((t) => ({
  createFabrique: t.prismaField({
    type: "Space",
    authScopes: { national: true },
    args: { input: t.arg({ type: CreateSpaceFields, required: true }) },
    resolve: async (query, _parent, args, ctx) => {
      const created = await ctx.spaceService.createFabrique(
        viewerOf(ctx),
        withoutNulls(args.input),
      );
      return ctx.prisma.space.findUniqueOrThrow({ ...query, where: { id: created.id } });
    },
  }),
  createSatellite: t.prismaField({
    type: "Space",
    description: "Registers a satellite in a fabrique's network; for that fabrique's team.",
    authScopes: (_parent, args) => ({
      fabriqueAdmin: requireId(String(args.fabriqueId), "fabriqueId"),
    }),
    args: {
      fabriqueId: t.arg.id({ required: true }),
      input: t.arg({ type: CreateSpaceFields, required: true }),
    },
    resolve: async (query, _parent, args, ctx) => {
      const created = await ctx.spaceService.createSatellite(
        viewerOf(ctx),
        requireId(String(args.fabriqueId), "fabriqueId"),
        withoutNulls(args.input),
      );
      return ctx.prisma.space.findUniqueOrThrow({ ...query, where: { id: created.id } });
    },
  }),
  updateSpace: t.prismaField({
    type: "Space",
    authScopes: readers,
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateSpaceFields, required: true }),
    },
    resolve: async (query, _parent, args, ctx) => {
      const updated = await ctx.spaceService.updateSpace(
        viewerOf(ctx),
        requireId(String(args.id), "id"),
        withoutNulls(args.input),
      );
      return ctx.prisma.space.findUniqueOrThrow({ ...query, where: { id: updated.id } });
    },
  }),
  closeSpace: t.prismaField({
    type: "Space",
    authScopes: readers,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _parent, args, ctx) => {
      const closed = await ctx.spaceService.closeSpace(
        viewerOf(ctx),
        requireId(String(args.id), "id"),
      );
      return ctx.prisma.space.findUniqueOrThrow({ ...query, where: { id: closed.id } });
    },
  }),
}));

const SpaceChangeEnum = builder.enumType("SpaceChange", {
  values: ["CREATED", "UPDATED", "CLOSED"] as const,
});

const SpaceChangedRef = builder
  .objectRef<{ spaceId: string; change: "CREATED" | "UPDATED" | "CLOSED" }>("SpaceChanged")
  .implement({
    fields: (t) => ({
      change: t.expose("change", { type: SpaceChangeEnum }),
      space: t.prismaField({
        type: "Space",
        // Read once per event and selection for every subscriber of this replica.
        resolve: (query, event, _args, ctx) =>
          loadOncePerEvent(event, JSON.stringify(query), () =>
            ctx.prisma.space.findUniqueOrThrow({ ...query, where: { id: event.spaceId } }),
          ),
      }),
    }),
  });

builder.subscriptionFields((t) => ({
  spaceChanged: t.field({
    type: SpaceChangedRef,
    description: "Spaces created, updated or closed within the caller's view.",
    authScopes: readers,
    subscribe: (_parent, _args, ctx) =>
      pipe(
        subscribeLatest(ctx.pubsub, "space:changed", 256),
        filter(
          (event) => ctx.viewer?.role === "NATIONAL" || ctx.viewer?.fabriqueId === event.networkId,
        ),
      ),
    resolve: (event) => event,
  }),
}));
