import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { canSeeSpace } from "./satellite.service.ts";
import type { SpaceRecord } from "./space.repository.ts";

/** The local network in GraphQL: the satellites this node owns, and reference spaces. */

export const SpaceKindEnum = builder.enumType("SpaceKind", {
  values: ["FABRIQUE", "SATELLITE"] as const,
});
export const SpaceStatusEnum = builder.enumType("SpaceStatus", {
  values: ["OPEN", "CLOSED"] as const,
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

const OpeningSlotInput = builder.inputType("OpeningSlotInput", {
  fields: (t) => ({
    day: t.int({ required: true, description: "1 = Monday … 7 = Sunday" }),
    opens: t.string({ required: true, description: "HH:MM" }),
    closes: t.string({ required: true, description: "HH:MM" }),
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

export const SpaceRef = builder.objectRef<SpaceRecord>("Space");

SpaceRef.implement({
  description:
    "A tiers-lieu: a satellite this node owns, or a reference copy of a space owned elsewhere.",
  // Checked on every Space however it is reached.
  authScopes: (space, ctx) => ctx.viewer !== null && canSeeSpace(ctx.viewer, space),
  fields: (t) => ({
    id: t.exposeID("id"),
    kind: t.expose("kind", { type: SpaceKindEnum }),
    name: t.exposeString("name"),
    status: t.expose("status", { type: SpaceStatusEnum }),
    communeCode: t.exposeString("communeCode", { description: "INSEE code of the commune" }),
    commune: t.field({
      type: CommuneRef,
      nullable: true,
      description: "The commune, derived from its code (null if the code is no longer current)",
      resolve: (s, _args, ctx) => ctx.geography.commune(s.communeCode) ?? null,
    }),
    services: t.exposeStringList("services"),
    openingHours: t.field({ type: [OpeningSlotRef], resolve: (s) => s.openingHours }),
    fabriqueId: t.exposeID("fabriqueId", {
      nullable: true,
      description: "For a satellite, the fabrique that animates it.",
    }),
    fabrique: t.field({
      type: SpaceRef,
      nullable: true,
      description:
        "For a satellite, the fabrique that animates it, for a caller who may see it (the fabrique's team); null otherwise.",
      resolve: (s, _args, ctx) =>
        s.fabriqueId !== null && ctx.viewer ? ctx.satellites.find(ctx.viewer, s.fabriqueId) : null,
    }),
    owned: t.exposeBoolean("owned", {
      description: "True when this node owns the record (and alone may change it).",
    }),
    closedAt: t.expose("closedAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const CreateSpaceInputRef = builder.inputType("CreateSpaceInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    communeCode: t.string({ required: true, description: "INSEE code of the commune" }),
    services: t.stringList(),
    openingHours: t.field({ type: [OpeningSlotInput] }),
  }),
});

const UpdateSpaceInputRef = builder.inputType("UpdateSpaceInput", {
  fields: (t) => ({
    name: t.string(),
    communeCode: t.string(),
    services: t.stringList(),
    openingHours: t.field({ type: [OpeningSlotInput] }),
  }),
});

/** GraphQL gives null for an omitted optional field; the zod inputs want it absent. */
export function withoutNulls<T extends object>(input: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(
    Object.entries(input).filter(([, value]) => value !== null && value !== undefined),
  ) as { [K in keyof T]: Exclude<T[K], null> };
}

builder.queryFields((t) => ({
  satellites: t.field({
    type: [SpaceRef],
    description:
      "The satellites of this fabrique's network, by name (a satellite's token: its own space).",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: { includeClosed: t.arg.boolean({ description: "Closed ones too (default false)" }) },
    resolve: (_parent, args, ctx) =>
      ctx.satellites.list(viewerOf(ctx), { includeClosed: args.includeClosed ?? false }),
  }),
  space: t.field({
    type: SpaceRef,
    nullable: true,
    description: "A space known to this agent; null when absent or not visible to the caller.",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.satellites.find(viewerOf(ctx), String(args.id)),
  }),
}));

builder.mutationFields((t) => ({
  createSatellite: t.field({
    type: SpaceRef,
    description: "Registers a satellite of this fabrique's network, owned by this node.",
    authScopes: { fabriqueAdmin: true },
    args: { input: t.arg({ type: CreateSpaceInputRef, required: true }) },
    resolve: (_parent, args, ctx) =>
      ctx.satellites.create(viewerOf(ctx), withoutNulls({ ...args.input })),
  }),
  updateSatellite: t.field({
    type: SpaceRef,
    description: "Changes a satellite this node owns (its own team or the satellite itself).",
    authScopes: (_parent, args) => ({ fabriqueAdmin: true, ownSpace: String(args.id) }),
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateSpaceInputRef, required: true }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.satellites.update(viewerOf(ctx), String(args.id), withoutNulls({ ...args.input })),
  }),
  closeSatellite: t.field({
    type: SpaceRef,
    description: "Closes a satellite this node owns. A closed satellite cannot change again.",
    authScopes: { fabriqueAdmin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.satellites.close(viewerOf(ctx), String(args.id)),
  }),
}));
