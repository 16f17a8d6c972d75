import {
  type AvailabilityWindow,
  BOOKING_KINDS,
  type Closure,
  type Interval,
  LOAN_STATUSES,
  RESOURCE_CATEGORIES,
  RESOURCE_STATUSES,
  SHARING_SCOPES,
} from "@maillage/schema";
import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { SpaceRef, withoutNulls } from "../spaces/space.graphql.ts";
import {
  BOOKING_STATUSES,
  type BookingRecord,
  type LoanState,
  type ResourceRecord,
} from "./resource.repository.ts";
import { AVAILABILITY_MAX_DAYS, canSeeBooking, type LoanView } from "./resource.service.ts";

export const ResourceCategoryEnum = builder.enumType("ResourceCategory", {
  values: RESOURCE_CATEGORIES,
});
export const SharingScopeEnum = builder.enumType("SharingScope", {
  description:
    "Who may book: LOCAL the owner's own fabrique network; NETWORK every node (other nodes through a booking request); NATIONAL the same, and listed in the national offer.",
  values: SHARING_SCOPES,
});
const ResourceStatusEnum = builder.enumType("ResourceStatus", { values: RESOURCE_STATUSES });
const BookingStatusEnum = builder.enumType("BookingStatus", { values: BOOKING_STATUSES });
export const BookingKindEnum = builder.enumType("BookingKind", {
  description: "BOOKING: the resource is used where it is; LOAN: it travels to a space and back.",
  values: BOOKING_KINDS,
});
export const LoanStatusEnum = builder.enumType("LoanStatus", {
  description:
    "CONFIRMED: still at home; CHECKED_OUT: handed over to the borrowing space; RETURNED: back home.",
  values: LOAN_STATUSES,
});

export const LoanStateRef = builder.objectRef<LoanState>("LoanState").implement({
  description: "Where a loan stands and which space holds the resource now.",
  fields: (t) => ({
    status: t.expose("status", { type: LoanStatusEnum }),
    holderSpaceId: t.exposeID("holderSpaceId", {
      description: "The space holding the resource: home until checked out, then the borrower",
    }),
    checkedOutAt: t.expose("checkedOutAt", { type: "DateTime", nullable: true }),
    returnedAt: t.expose("returnedAt", { type: "DateTime", nullable: true }),
  }),
});

const TimeSlotRef = builder.objectRef<Interval>("TimeSlot").implement({
  description: "A free period [startsAt, endsAt).",
  fields: (t) => ({
    startsAt: t.field({ type: "DateTime", resolve: (s) => s.from }),
    endsAt: t.field({ type: "DateTime", description: "Excluded", resolve: (s) => s.to }),
    minutes: t.int({
      resolve: (s) => Math.round((s.to.getTime() - s.from.getTime()) / 60_000),
    }),
  }),
});

const BookingRulesRef = builder.objectRef<ResourceRecord>("BookingRules").implement({
  description: "When and how long a resource may be booked.",
  fields: (t) => ({
    minMinutes: t.exposeInt("minMinutes", { description: "Shortest booking, in minutes" }),
    maxMinutes: t.exposeInt("maxMinutes", { description: "Longest booking, in minutes" }),
    leadMinutes: t.exposeInt("leadMinutes", {
      description: "How long ahead of its start a booking must be made, in minutes",
    }),
    cancelDeadlineMinutes: t.exposeInt("cancelDeadlineMinutes", {
      description: "A booking can be cancelled until this many minutes before its start",
    }),
  }),
});

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

const ClosureRef = builder.objectRef<Closure>("ResourceClosure").implement({
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

const ClosureInput = builder.inputType("ResourceClosureInput", {
  fields: (t) => ({
    from: t.string({ required: true, description: "YYYY-MM-DD (Europe/Paris date)" }),
    to: t.string({ description: "YYYY-MM-DD, included; default: from (a single day)" }),
  }),
});

export const ResourceRef = builder.objectRef<ResourceRecord>("Resource").implement({
  description:
    "Something a space shares: a machine, a room, a van, a kit. This node's own resources (owned: true) and replicas of other nodes' ones (owned: false, read-only here, requested with requestBooking or requestLoan).",
  authScopes: { authenticated: true },
  fields: (t) => ({
    id: t.exposeID("id"),
    spaceId: t.exposeID("spaceId", { description: "The space hosting it" }),
    space: t.field({
      type: SpaceRef,
      nullable: true,
      description:
        "The space hosting it, when this agent knows it and the caller may see it (the fabrique's team; a satellite, its own space); null otherwise",
      resolve: (r, _args, ctx) => (ctx.viewer ? ctx.satellites.find(ctx.viewer, r.spaceId) : null),
    }),
    name: t.exposeString("name"),
    category: t.expose("category", { type: ResourceCategoryEnum }),
    description: t.exposeString("description", { nullable: true }),
    sharingScope: t.expose("sharingScope", { type: SharingScopeEnum }),
    requiredCredential: t.exposeString("requiredCredential", {
      nullable: true,
      description:
        "The credential type a member needs to book it (CREDENTIAL_REQUIRED without a valid one; a booking for a space is not gated)",
    }),
    rules: t.field({ type: BookingRulesRef, resolve: (r) => r }),
    status: t.expose("status", { type: ResourceStatusEnum }),
    movable: t.exposeBoolean("movable", { description: "Whether it can be lent (LOAN)" }),
    approvalRequired: t.exposeBoolean("approvalRequired", {
      description:
        "Requests from other nodes wait for a person's decision (decideBookingRequest) instead of being decided by the rules at once",
    }),
    owned: t.exposeBoolean("owned", {
      description: "True for this node's own resources; false for another node's (a replica)",
    }),
    ownerNodeId: t.id({
      description: "The node agent that owns it (the only writer): this node for its own",
      resolve: (r, _args, ctx) => {
        const owner = r.owned ? ctx.identity.nodeId : r.ownerNodeId;
        // A replica always comes from its owner's RESOURCE event, which names that node.
        if (owner === null) throw new Error(`replica ${r.id} without an owner node`);
        return owner;
      },
    }),
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
  description:
    "A slot [startsAt, endsAt) of one of this node's resources, for one member or one space: a booking, or a loan (kind LOAN: the resource goes to forSpaceId).",
  authScopes: (booking, ctx) => ctx.viewer !== null && canSeeBooking(ctx.viewer, booking),
  fields: (t) => ({
    id: t.exposeID("id"),
    resourceId: t.exposeID("resourceId"),
    startsAt: t.field({ type: "DateTime", resolve: (b) => b.from }),
    endsAt: t.field({
      type: "DateTime",
      description: "Excluded: the next slot may start here",
      resolve: (b) => b.to,
    }),
    forMemberId: t.id({
      nullable: true,
      description: "The member it is for (pseudonymous id)",
      resolve: (b) => b.forMember,
    }),
    forSpaceId: t.id({
      nullable: true,
      description: "The space it is for; for a loan, where the resource goes",
      resolve: (b) => b.forSpace,
    }),
    status: t.expose("status", { type: BookingStatusEnum }),
    kind: t.expose("kind", { type: BookingKindEnum }),
    requestId: t.exposeID("requestId", {
      nullable: true,
      description: "The other node's booking request it answers, or null",
    }),
    loan: t.field({
      type: LoanStateRef,
      nullable: true,
      description: "For a loan: its state and holder",
      resolve: (b) => b.loan,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    cancelledAt: t.expose("cancelledAt", { type: "DateTime", nullable: true }),
  }),
});

const LoanRef = builder.objectRef<LoanView>("Loan").implement({
  description: "A loan of one of this node's movable resources to a space, with who holds it.",
  authScopes: (loan, ctx) => ctx.viewer !== null && canSeeBooking(ctx.viewer, loan),
  fields: (t) => ({
    id: t.exposeID("id", { description: "The loan's booking id" }),
    resourceId: t.exposeID("resourceId"),
    toSpaceId: t.id({ description: "The borrowing space", resolve: (l) => l.forSpace ?? "" }),
    startsAt: t.field({ type: "DateTime", resolve: (l) => l.from }),
    endsAt: t.field({ type: "DateTime", description: "When it is due back", resolve: (l) => l.to }),
    status: t.field({
      type: LoanStatusEnum,
      resolve: (l) => l.loan?.status ?? "CONFIRMED",
    }),
    holderSpaceId: t.id({
      description: "The space holding the resource now",
      resolve: (l) => l.loan?.holderSpaceId ?? "",
    }),
    checkedOutAt: t.field({
      type: "DateTime",
      nullable: true,
      resolve: (l) => l.loan?.checkedOutAt ?? null,
    }),
    returnedAt: t.field({
      type: "DateTime",
      nullable: true,
      resolve: (l) => l.loan?.returnedAt ?? null,
    }),
    overdue: t.exposeBoolean("overdue", {
      description:
        "Checked out and past its end: the resource is refused for every booking (RESOURCE_ON_LOAN) until checked in",
    }),
    cancelled: t.boolean({ resolve: (l) => l.status === "CANCELLED" }),
    requestId: t.exposeID("requestId", { nullable: true }),
  }),
});

const BookingRulesInput = builder.inputType("BookingRulesInput", {
  description:
    "A resource's booking rules. At creation, an absent rule takes its default; at a change, it keeps its value.",
  fields: (t) => ({
    minMinutes: t.int({ description: "Shortest booking in minutes (default 15)" }),
    maxMinutes: t.int({ description: "Longest booking in minutes (default 480)" }),
    leadMinutes: t.int({ description: "Minutes ahead a booking must be made (default 0)" }),
    cancelDeadlineMinutes: t.int({
      description: "Cancellation allowed until this many minutes before the start (default 0)",
    }),
  }),
});

const CreateResourceInputRef = builder.inputType("CreateResourceInput", {
  fields: (t) => ({
    spaceId: t.id({ required: true, description: "The fabrique or a satellite this node owns" }),
    name: t.string({ required: true }),
    category: t.field({ type: ResourceCategoryEnum, required: true }),
    description: t.string(),
    sharingScope: t.field({ type: SharingScopeEnum, description: "Default LOCAL" }),
    requiredCredential: t.string(),
    rules: t.field({ type: BookingRulesInput, description: "Default: every rule's default" }),
    status: t.field({ type: ResourceStatusEnum, description: "Default AVAILABLE" }),
    movable: t.boolean({ description: "Default false" }),
    approvalRequired: t.boolean({
      description: "Requests from other nodes wait for a person's decision (default false)",
    }),
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
    rules: t.field({ type: BookingRulesInput, description: "The rules to change" }),
    status: t.field({ type: ResourceStatusEnum }),
    movable: t.boolean(),
    approvalRequired: t.boolean(),
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

const NetworkResourceFilter = builder.inputType("NetworkResourceFilter", {
  fields: (t) => ({
    category: t.field({ type: ResourceCategoryEnum }),
    sharingScope: t.field({
      type: SharingScopeEnum,
      description:
        "Default: NETWORK and NATIONAL (the ones open to this node). LOCAL lists nothing: another network's LOCAL resource is never kept here.",
    }),
  }),
});

builder.queryFields((t) => ({
  resources: t.field({
    type: [ResourceRef],
    description: "This node's resources hosted at a space of its network, by name.",
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
  loans: t.field({
    type: [LoanRef],
    description:
      "A resource's loans by start, with holder, status and overdue: all for the fabrique's team, a satellite's own ones for a satellite.",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: { resourceId: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.resources.loans(viewerOf(ctx), String(args.resourceId)),
  }),
  networkResources: t.field({
    type: [ResourceRef],
    description:
      "Other nodes' resources replicated at this agent, by name (answers offline too). Default: those open to this node (NETWORK, NATIONAL); never another network's LOCAL resource (a sharingScope: LOCAL filter lists nothing).",
    authScopes: { authenticated: true },
    args: { filter: t.arg({ type: NetworkResourceFilter }) },
    resolve: (_parent, args, ctx) =>
      ctx.resources.networkResources(withoutNulls(args.filter ?? {})),
  }),
  resourceAvailability: t.field({
    type: [TimeSlotRef],
    description: `The free slots of a resource (this node's, or a replica's from its replicated occupancy) in [from, to), at most ${AVAILABILITY_MAX_DAYS} days (BAD_USER_INPUT beyond): its windows and closures minus its confirmed bookings and loans, slots shorter than its minimum booking left out. NOT_FOUND for an unknown resource (another network's LOCAL resource included).`,
    authScopes: { authenticated: true },
    args: {
      resourceId: t.arg.id({ required: true }),
      from: t.arg({ type: "DateTime", required: true }),
      to: t.arg({ type: "DateTime", required: true }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.resources.availability({
        resourceId: String(args.resourceId),
        from: args.from,
        to: args.to,
      }),
  }),
}));

export const REFUSALS =
  "Refused at once, writing nothing, the precise cause in extensions.reason: BAD_USER_INPUT (reason INVALID_RANGE: startsAt ≥ endsAt); BOOKING_RULE_VIOLATION (reason DURATION_OUT_OF_RANGE, LEAD_TIME, OUTSIDE_AVAILABILITY: not inside one availability window on an open day, Europe/Paris time, or NOT_MOVABLE for a loan); RESOURCE_NOT_AVAILABLE (MAINTENANCE or RETIRED); SLOT_TAKEN (overlaps a confirmed booking); RESOURCE_ON_LOAN (a loan covers the slot, or the resource is checked out and overdue); CREDENTIAL_REQUIRED (a member without a valid credential of the required type, named in extensions.credential; a booking for a space is not gated); NOT_FOUND (resource, member, space); FORBIDDEN (a satellite booking for another space or a member, or another node's resource).";

builder.mutationFields((t) => ({
  createResource: t.field({
    type: ResourceRef,
    description: "Adds a resource at a space of this network (the fabrique's team).",
    authScopes: { fabriqueAdmin: true },
    args: { input: t.arg({ type: CreateResourceInputRef, required: true }) },
    resolve: (_parent, args, ctx) =>
      ctx.resources.create(
        viewerOf(ctx),
        withoutNulls({
          ...args.input,
          spaceId: String(args.input.spaceId),
          rules: args.input.rules ? withoutNulls(args.input.rules) : null,
        }),
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
            rules: args.input.rules ? withoutNulls(args.input.rules) : undefined,
          },
          ["description", "requiredCredential"],
        ),
      ),
  }),
  book: t.field({
    type: BookingRef,
    description: `Books [startsAt, endsAt) of a resource for a member or a space (exactly one of forMemberId and forSpaceId): the fabrique's team, or a satellite for its own space. Confirmed at once, or refused. ${REFUSALS}`,
    authScopes: (_parent, args) =>
      args.forSpaceId == null
        ? { fabriqueAdmin: true }
        : { fabriqueAdmin: true, ownSpace: String(args.forSpaceId) },
    args: {
      resourceId: t.arg.id({ required: true }),
      startsAt: t.arg({ type: "DateTime", required: true }),
      endsAt: t.arg({ type: "DateTime", required: true }),
      forMemberId: t.arg.id(),
      forSpaceId: t.arg.id(),
    },
    resolve: (_parent, args, ctx) =>
      ctx.resources.book(
        viewerOf(ctx),
        withoutNulls({
          resourceId: String(args.resourceId),
          startsAt: args.startsAt,
          endsAt: args.endsAt,
          forMemberId: args.forMemberId == null ? null : String(args.forMemberId),
          forSpaceId: args.forSpaceId == null ? null : String(args.forSpaceId),
        }),
      ),
  }),
  cancelBooking: t.field({
    type: BookingRef,
    description:
      "Cancels a confirmed booking or loan of this node and frees its slot, until the resource's cancellation deadline before the start: CANCEL_DEADLINE_PASSED after it, INVALID_TRANSITION (extensions.reason ALREADY_CANCELLED, extensions.status CANCELLED) if it was, INVALID_TRANSITION for a loan handed over. A booking answering another node's request sends it a CANCELLED decision (reasonCode CANCELLED_BY_OWNER).",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.resources.cancelBooking(viewerOf(ctx), String(args.id)),
  }),
  lend: t.field({
    type: LoanRef,
    description: `Lends a movable resource of this node to a space (of any node) for [startsAt, endsAt), decided here (the fabrique's team): a CONFIRMED loan that blocks home bookings for its period. ${REFUSALS}`,
    authScopes: { fabriqueAdmin: true },
    args: {
      resourceId: t.arg.id({ required: true }),
      toSpaceId: t.arg.id({ required: true }),
      startsAt: t.arg({ type: "DateTime", required: true }),
      endsAt: t.arg({ type: "DateTime", required: true }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.resources.lend(viewerOf(ctx), {
        resourceId: String(args.resourceId),
        toSpaceId: String(args.toSpaceId),
        startsAt: args.startsAt,
        endsAt: args.endsAt,
      }),
  }),
  checkOutLoan: t.field({
    type: LoanRef,
    description:
      "The resource is handed over: CONFIRMED → CHECKED_OUT, the borrowing space holds it (INVALID_TRANSITION otherwise, extensions.status; RESOURCE_ON_LOAN while another loan of the resource is checked out and not back). A loan answering another node's request sends it the new state.",
    authScopes: { fabriqueAdmin: true },
    args: { id: t.arg.id({ required: true, description: "The loan's id" }) },
    resolve: (_parent, args, ctx) => ctx.resources.checkOutLoan(viewerOf(ctx), String(args.id)),
  }),
  checkInLoan: t.field({
    type: LoanRef,
    description:
      "The resource is back: CHECKED_OUT → RETURNED, home holds it; back early, the rest of the period is free again (INVALID_TRANSITION otherwise).",
    authScopes: { fabriqueAdmin: true },
    args: { id: t.arg.id({ required: true, description: "The loan's id" }) },
    resolve: (_parent, args, ctx) => ctx.resources.checkInLoan(viewerOf(ctx), String(args.id)),
  }),
}));
