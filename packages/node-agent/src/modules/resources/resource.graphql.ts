import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import {
  type AvailabilityWindow,
  BOOKING_STATUSES,
  type BookingRecord,
  type Closure,
  RESOURCE_CATEGORIES,
  RESOURCE_STATUSES,
  type ResourceRecord,
  SHARING_SCOPES,
} from "../../store/resource.repository.ts";
import { withoutNulls } from "../spaces/space.graphql.ts";
import { canSeeBooking } from "./resource.service.ts";

const ResourceCategoryEnum = builder.enumType("ResourceCategory", {
  values: RESOURCE_CATEGORIES,
});
const SharingScopeEnum = builder.enumType("SharingScope", {
  description:
    "Who may book: LOCAL this fabrique's network, NETWORK every node, NATIONAL anyone (only LOCAL is bookable in this version: resources stay at their agent).",
  values: SHARING_SCOPES,
});
const ResourceStatusEnum = builder.enumType("ResourceStatus", { values: RESOURCE_STATUSES });
const BookingStatusEnum = builder.enumType("BookingStatus", { values: BOOKING_STATUSES });

const RRULE_SUBSET =
  "A weekly rule in the RRULE subset FREQ=WEEKLY;BYDAY=<days>, <days> a comma-separated list of MO, TU, WE, TH, FR, SA, SU (e.g. FREQ=WEEKLY;BYDAY=TU,WE,TH,FR,SA); nothing else is accepted";

const AvailabilityWindowRef = builder
  .objectRef<AvailabilityWindow>("AvailabilityWindow")
  .implement({
    description:
      "When a resource may be booked: on the rule's weekdays, from opens to closes (Europe/Paris wall clock).",
    fields: (t) => ({
      rrule: t.exposeString("rrule", { description: RRULE_SUBSET }),
      opens: t.exposeString("opens", { description: "HH:MM, Europe/Paris" }),
      closes: t.exposeString("closes", { description: "HH:MM (24:00 allowed), Europe/Paris" }),
    }),
  });

const ClosureRef = builder.objectRef<Closure>("Closure").implement({
  description: "Days the resource is closed, from and to included (Europe/Paris dates).",
  fields: (t) => ({
    from: t.exposeString("from", { description: "YYYY-MM-DD" }),
    to: t.exposeString("to", { description: "YYYY-MM-DD, included" }),
  }),
});

const AvailabilityWindowInput = builder.inputType("AvailabilityWindowInput", {
  fields: (t) => ({
    rrule: t.string({ required: true, description: RRULE_SUBSET }),
    opens: t.string({ required: true, description: "HH:MM, Europe/Paris" }),
    closes: t.string({
      required: true,
      description: "HH:MM (24:00 allowed), Europe/Paris; after opens",
    }),
  }),
});

const ClosureInput = builder.inputType("ClosureInput", {
  fields: (t) => ({
    from: t.string({ required: true, description: "YYYY-MM-DD (Europe/Paris date)" }),
    to: t.string({ description: "YYYY-MM-DD, included; default: from (a single day)" }),
  }),
});

export const ResourceRef = builder.objectRef<ResourceRecord>("Resource").implement({
  description:
    "Something a space of this network shares: a machine, a room, a van, a kit. Kept at this agent (not sent to the hub yet).",
  authScopes: { authenticated: true },
  fields: (t) => ({
    id: t.exposeID("id"),
    spaceId: t.exposeID("spaceId", { description: "The space hosting it" }),
    name: t.exposeString("name"),
    category: t.expose("category", { type: ResourceCategoryEnum }),
    description: t.exposeString("description", { nullable: true }),
    sharingScope: t.expose("sharingScope", { type: SharingScopeEnum }),
    requiredCredential: t.exposeString("requiredCredential", {
      nullable: true,
      description: "The credential type a member needs to book it (not checked yet)",
    }),
    minMinutes: t.exposeInt("minMinutes", { description: "Shortest booking, in minutes" }),
    maxMinutes: t.exposeInt("maxMinutes", { description: "Longest booking, in minutes" }),
    leadMinutes: t.exposeInt("leadMinutes", {
      description: "How long ahead of its start a booking must be made, in minutes",
    }),
    cancelDeadlineMinutes: t.exposeInt("cancelDeadlineMinutes", {
      description: "A booking can be cancelled until this many minutes before its start",
    }),
    status: t.expose("status", { type: ResourceStatusEnum }),
    movable: t.exposeBoolean("movable"),
    windows: t.field({
      type: [AvailabilityWindowRef],
      description:
        "When it may be booked: a booking lies inside one window on a day that is not a closure. None: any time.",
      resolve: (r) => r.windows,
    }),
    closures: t.field({
      type: [ClosureRef],
      description: "Days it is closed, overriding the windows",
      resolve: (r) => r.closures,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

export const BookingRef = builder.objectRef<BookingRecord>("Booking").implement({
  description: "A slot [from, to) of a resource, for one member or one space.",
  authScopes: (booking, ctx) => ctx.viewer !== null && canSeeBooking(ctx.viewer, booking),
  fields: (t) => ({
    id: t.exposeID("id"),
    resourceId: t.exposeID("resourceId"),
    from: t.expose("from", { type: "DateTime" }),
    to: t.expose("to", { type: "DateTime", description: "Excluded: the next slot may start here" }),
    forMember: t.exposeID("forMember", { nullable: true }),
    forSpace: t.exposeID("forSpace", { nullable: true }),
    status: t.expose("status", { type: BookingStatusEnum }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    cancelledAt: t.expose("cancelledAt", { type: "DateTime", nullable: true }),
  }),
});

const ruleFields = {
  minMinutes: "Shortest booking in minutes (default 15)",
  maxMinutes: "Longest booking in minutes (default 480)",
  leadMinutes: "Minutes ahead a booking must be made (default 0)",
  cancelDeadlineMinutes:
    "Cancellation allowed until this many minutes before the start (default 0)",
} as const;

const CreateResourceInputRef = builder.inputType("CreateResourceInput", {
  fields: (t) => ({
    spaceId: t.id({ required: true, description: "The fabrique or a satellite this node owns" }),
    name: t.string({ required: true }),
    category: t.field({ type: ResourceCategoryEnum, required: true }),
    description: t.string(),
    sharingScope: t.field({ type: SharingScopeEnum, description: "Default LOCAL" }),
    requiredCredential: t.string(),
    minMinutes: t.int({ description: ruleFields.minMinutes }),
    maxMinutes: t.int({ description: ruleFields.maxMinutes }),
    leadMinutes: t.int({ description: ruleFields.leadMinutes }),
    cancelDeadlineMinutes: t.int({ description: ruleFields.cancelDeadlineMinutes }),
    status: t.field({ type: ResourceStatusEnum, description: "Default AVAILABLE" }),
    movable: t.boolean({ description: "Default false" }),
    windows: t.field({
      type: [AvailabilityWindowInput],
      description: "Default none: bookable any time",
    }),
    closures: t.field({ type: [ClosureInput], description: "Default none" }),
  }),
});

const UpdateResourceInputRef = builder.inputType("UpdateResourceInput", {
  description: "The fields to change; the others keep their value.",
  fields: (t) => ({
    spaceId: t.id(),
    name: t.string(),
    category: t.field({ type: ResourceCategoryEnum }),
    description: t.string({ description: "null clears it" }),
    sharingScope: t.field({ type: SharingScopeEnum }),
    requiredCredential: t.string({ description: "null clears it" }),
    minMinutes: t.int(),
    maxMinutes: t.int(),
    leadMinutes: t.int(),
    cancelDeadlineMinutes: t.int(),
    status: t.field({ type: ResourceStatusEnum }),
    movable: t.boolean(),
    windows: t.field({
      type: [AvailabilityWindowInput],
      description: "Replaces the windows; [] removes them (bookable any time)",
    }),
    closures: t.field({ type: [ClosureInput], description: "Replaces the closures; [] clears" }),
  }),
});

/** Drops absent fields and nulls, except where null means "clear it". */
function changesOf(input: Record<string, unknown>, clearable: string[]) {
  return Object.fromEntries(
    Object.entries(input).filter(
      ([key, value]) => value !== undefined && (value !== null || clearable.includes(key)),
    ),
  );
}

builder.queryFields((t) => ({
  resources: t.field({
    type: [ResourceRef],
    description: "The resources hosted at a space of this network, by name.",
    authScopes: { authenticated: true },
    args: { spaceId: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.resources.list({ spaceId: String(args.spaceId) }),
  }),
  bookings: t.field({
    type: [BookingRef],
    description:
      "A resource's bookings (every status) by start: all for the fabrique's team, a satellite's own ones for a satellite.",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: { resourceId: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.resources.bookings(viewerOf(ctx), String(args.resourceId)),
  }),
}));

const REFUSALS =
  "Refused at once, writing nothing, the precise cause in extensions.reason: BAD_USER_INPUT (reason INVALID_RANGE: from ≥ to); BOOKING_RULE_VIOLATION (reason DURATION_OUT_OF_RANGE, LEAD_TIME, or OUTSIDE_AVAILABILITY: not inside one availability window on an open day, Europe/Paris time); RESOURCE_NOT_AVAILABLE (MAINTENANCE or RETIRED); SLOT_TAKEN (overlaps a confirmed booking); NOT_FOUND (resource, member, space); FORBIDDEN (a satellite booking for another space or a member).";

builder.mutationFields((t) => ({
  createResource: t.field({
    type: ResourceRef,
    description: "Adds a resource at a space of this network (the fabrique's team).",
    authScopes: { fabriqueAdmin: true },
    args: { input: t.arg({ type: CreateResourceInputRef, required: true }) },
    resolve: (_parent, args, ctx) =>
      ctx.resources.create(
        viewerOf(ctx),
        withoutNulls({ ...args.input, spaceId: String(args.input.spaceId) }),
      ),
  }),
  updateResource: t.field({
    type: ResourceRef,
    description:
      "Changes a resource (the fabrique's team); its existing bookings stay as they are.",
    authScopes: { fabriqueAdmin: true },
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateResourceInputRef, required: true }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.resources.update(
        viewerOf(ctx),
        String(args.id),
        changesOf(
          {
            ...args.input,
            spaceId: args.input.spaceId == null ? undefined : String(args.input.spaceId),
          },
          ["description", "requiredCredential"],
        ),
      ),
  }),
  book: t.field({
    type: BookingRef,
    description: `Books [from, to) of a resource for a member or a space (exactly one): the fabrique's team, or a satellite for its own space. Confirmed at once, or refused. ${REFUSALS}`,
    authScopes: (_parent, args) =>
      args.forSpace == null
        ? { fabriqueAdmin: true }
        : { fabriqueAdmin: true, ownSpace: String(args.forSpace) },
    args: {
      resourceId: t.arg.id({ required: true }),
      from: t.arg({ type: "DateTime", required: true }),
      to: t.arg({ type: "DateTime", required: true }),
      forMember: t.arg.id(),
      forSpace: t.arg.id(),
    },
    resolve: (_parent, args, ctx) =>
      ctx.resources.book(
        viewerOf(ctx),
        withoutNulls({
          resourceId: String(args.resourceId),
          from: args.from,
          to: args.to,
          forMember: args.forMember == null ? null : String(args.forMember),
          forSpace: args.forSpace == null ? null : String(args.forSpace),
        }),
      ),
  }),
  cancelBooking: t.field({
    type: BookingRef,
    description:
      "Cancels a confirmed booking and frees its slot, until the resource's cancellation deadline before the start: CANCEL_DEADLINE_PASSED after it, BAD_USER_INPUT with extensions.reason ALREADY_CANCELLED if it was.",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.resources.cancelBooking(viewerOf(ctx), String(args.id)),
  }),
}));
