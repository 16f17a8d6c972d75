import {
  seatsLeft,
  TRAINING_STATUSES,
  TRAINING_TOPICS,
  type TrainingGrant,
} from "@maillage/schema";
import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { SharingScopeEnum } from "../resources/resource.graphql.ts";
import { SpaceRef, withoutNulls } from "../spaces/space.graphql.ts";
import { SERIES_MAX_SESSIONS } from "./series.ts";
import type { TrainingRecord } from "./training.repository.ts";
import {
  PROXIMITY_TIERS,
  TRAINING_CSV_COLUMNS,
  TRAINING_MAX_DAYS,
  TRAININGS_MAX,
} from "./training.service.ts";

/** Trainings in GraphQL: see training.service.ts for the rules, docs/trainings.md for people. */

export const TrainingTopicEnum = builder.enumType("TrainingTopic", {
  description: "The documented topics (docs/trainings.md); free tags say the rest.",
  values: TRAINING_TOPICS,
});
const TrainingStatusEnum = builder.enumType("TrainingStatus", {
  description:
    "SCHEDULED, or CANCELLED (by its organiser, or automatically for want of its minimum at its decision deadline: cancelReasonCode).",
  values: TRAINING_STATUSES,
});

const TrainingGrantRef = builder.objectRef<TrainingGrant>("TrainingGrant").implement({
  description: "The credential attending a training grants.",
  fields: (t) => ({
    type: t.exposeString("type", { description: "A credential type (a slug: laser-safety)" }),
    validityDays: t.exposeInt("validityDays", {
      nullable: true,
      description: "Valid this many days from the attendance; null: it does not expire",
    }),
  }),
});

const TrainingSeatsRef = builder.objectRef<TrainingRecord>("TrainingSeats").implement({
  description:
    "The organiser's counts: seats taken exclude cancellations (ENROLLED, OFFERED, ATTENDED and NO_SHOW hold a seat).",
  fields: (t) => ({
    capacity: t.exposeInt("capacity"),
    taken: t.int({ resolve: (tr) => tr.seats.taken }),
    left: t.int({
      description: "Seats still free (0 once cancelled)",
      resolve: (tr) => seatsLeft(tr),
    }),
    waitlisted: t.int({ resolve: (tr) => tr.seats.waitlisted }),
    attended: t.int({ resolve: (tr) => tr.seats.attended }),
    noShow: t.int({ resolve: (tr) => tr.seats.noShow }),
  }),
});

export const TrainingRef = builder.objectRef<TrainingRecord>("Training").implement({
  description:
    "One dated training session: organised by this node (owned: true), or another node's NETWORK or NATIONAL one replicated here (owned: false; its seats as its organiser last sent them). Members enrol with enrol.",
  authScopes: { authenticated: true },
  fields: (t) => ({
    id: t.exposeID("id"),
    title: t.exposeString("title"),
    topic: t.expose("topic", { type: TrainingTopicEnum }),
    tags: t.exposeStringList("tags"),
    description: t.exposeString("description", { nullable: true }),
    spaceId: t.exposeID("spaceId", { description: "The organiser: the fabrique or a satellite" }),
    space: t.field({
      type: SpaceRef,
      nullable: true,
      description: "The organiser, when this agent knows it and the caller may see it",
      resolve: (tr, _args, ctx) =>
        ctx.viewer ? ctx.satellites.find(ctx.viewer, tr.spaceId) : null,
    }),
    venueSpaceId: t.exposeID("venueSpaceId", {
      nullable: true,
      description: "Where it is held (a space of any network); null when online",
    }),
    venue: t.field({
      type: SpaceRef,
      nullable: true,
      description: "Where it is held, when this agent knows it and the caller may see it",
      resolve: (tr, _args, ctx) =>
        ctx.viewer && tr.venueSpaceId ? ctx.satellites.find(ctx.viewer, tr.venueSpaceId) : null,
    }),
    onlineUrl: t.exposeString("onlineUrl", { nullable: true }),
    online: t.boolean({ resolve: (tr) => tr.onlineUrl !== null }),
    startsAt: t.expose("startsAt", { type: "DateTime" }),
    endsAt: t.expose("endsAt", { type: "DateTime", description: "Excluded" }),
    seriesId: t.exposeID("seriesId", {
      nullable: true,
      description: "The weekly series it belongs to (the id of its first session)",
    }),
    capacity: t.exposeInt("capacity"),
    minimum: t.exposeInt("minimum", {
      description: "Below this many seats taken at decisionAt, it is cancelled automatically",
    }),
    decisionAt: t.expose("decisionAt", { type: "DateTime", nullable: true }),
    scope: t.expose("scope", {
      type: SharingScopeEnum,
      description:
        "Who may enrol: LOCAL the organiser's network's members; NETWORK and NATIONAL any node's",
    }),
    prerequisites: t.exposeStringList("prerequisites", {
      description: "Credential types a member must hold, valid at the start",
    }),
    grants: t.field({
      type: TrainingGrantRef,
      nullable: true,
      description: "The credential attending grants",
      resolve: (tr) => tr.grants,
    }),
    trainerName: t.exposeString("trainerName", { nullable: true }),
    cancelDeadlineMinutes: t.exposeInt("cancelDeadlineMinutes", {
      description: "Members cancel a seat until this many minutes before the start",
    }),
    offerHours: t.exposeInt("offerHours", {
      nullable: true,
      description:
        "A freed seat is offered to the first in line for this many hours; null: given at once",
    }),
    status: t.expose("status", { type: TrainingStatusEnum }),
    cancelReasonCode: t.exposeString("cancelReasonCode", {
      nullable: true,
      description: "CANCELLED_BY_ORGANISER or MINIMUM_NOT_REACHED",
    }),
    seats: t.field({ type: TrainingSeatsRef, resolve: (tr) => tr }),
    owned: t.exposeBoolean("owned", {
      description: "True for this node's own trainings; false for another node's (a replica)",
    }),
    ownerNodeId: t.id({
      description: "The organiser's node (the only writer): this node for its own",
      resolve: (tr, _args, ctx) => {
        const owner = tr.owned ? ctx.identity.nodeId : tr.ownerNodeId;
        if (owner === null) throw new Error(`replica ${tr.id} without an organiser node`);
        return owner;
      },
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const TrainingGrantInput = builder.inputType("TrainingGrantInput", {
  fields: (t) => ({
    type: t.string({
      required: true,
      description: "A credential type, a slug (laser-safety); BAD_USER_INPUT otherwise",
    }),
    validityDays: t.int({ description: "Valid this many days from the attendance; null: forever" }),
  }),
});

const TrainingSeriesInput = builder.inputType("TrainingSeriesInput", {
  description: `A weekly series: one session on each day of the rule from the first's day to until, at the first's Europe/Paris wall-clock times (at most ${SERIES_MAX_SESSIONS} sessions).`,
  fields: (t) => ({
    rrule: t.string({
      required: true,
      description:
        "FREQ=WEEKLY;BYDAY=<days> (MO, TU, WE, TH, FR, SA, SU), the subset availability windows use; the first session's day must be one of them",
    }),
    until: t.string({
      required: true,
      description: "YYYY-MM-DD, the last day (Europe/Paris date, included)",
    }),
  }),
});

const TRAINING_INPUT_FIELDS = {
  description: "Free text",
  venueSpaceId: "Where it is held: any space this agent knows (NOT_FOUND otherwise)",
  onlineUrl: "An online training's link (http or https); exactly one of this and venueSpaceId",
  minimum: "Default 0; with a minimum, decisionAt is required",
  decisionAt: "When the minimum is checked (not after startsAt)",
  scope: "Default LOCAL",
  prerequisites:
    "Credential types (documented, or granted by a training this node knows; UNKNOWN_CREDENTIAL_TYPE otherwise)",
  cancelDeadlineMinutes: "Default 0",
  offerHours: "Default null: a freed seat goes to the first in line at once",
} as const;

const CreateTrainingInputRef = builder.inputType("CreateTrainingInput", {
  fields: (t) => ({
    spaceId: t.id({
      required: true,
      description:
        "The organiser: the fabrique or a satellite of this network (a satellite: itself)",
    }),
    title: t.string({ required: true }),
    topic: t.field({ type: TrainingTopicEnum, required: true }),
    tags: t.stringList({ description: "Free tags, lower-cased" }),
    description: t.string({ description: TRAINING_INPUT_FIELDS.description }),
    venueSpaceId: t.id({ description: TRAINING_INPUT_FIELDS.venueSpaceId }),
    onlineUrl: t.string({ description: TRAINING_INPUT_FIELDS.onlineUrl }),
    startsAt: t.field({ type: "DateTime", required: true }),
    endsAt: t.field({ type: "DateTime", required: true }),
    capacity: t.int({ required: true, description: "At least 1" }),
    minimum: t.int({ description: TRAINING_INPUT_FIELDS.minimum }),
    decisionAt: t.field({ type: "DateTime", description: TRAINING_INPUT_FIELDS.decisionAt }),
    scope: t.field({ type: SharingScopeEnum, description: TRAINING_INPUT_FIELDS.scope }),
    prerequisites: t.stringList({ description: TRAINING_INPUT_FIELDS.prerequisites }),
    grants: t.field({ type: TrainingGrantInput }),
    trainerName: t.string({ description: "The trainer's public name" }),
    cancelDeadlineMinutes: t.int({ description: TRAINING_INPUT_FIELDS.cancelDeadlineMinutes }),
    offerHours: t.int({ description: TRAINING_INPUT_FIELDS.offerHours }),
    series: t.field({ type: TrainingSeriesInput, description: "Creates a weekly series" }),
  }),
});

const UpdateTrainingInputRef = builder.inputType("UpdateTrainingInput", {
  description:
    "The fields to change; the others keep their value. null clears description, venueSpaceId or onlineUrl (naming one clears the other), decisionAt, grants, trainerName, offerHours.",
  fields: (t) => ({
    spaceId: t.id(),
    title: t.string(),
    topic: t.field({ type: TrainingTopicEnum }),
    tags: t.stringList(),
    description: t.string(),
    venueSpaceId: t.id(),
    onlineUrl: t.string(),
    startsAt: t.field({ type: "DateTime" }),
    endsAt: t.field({ type: "DateTime" }),
    capacity: t.int({
      description: "Not below the seats taken; raised, the first in line move in",
    }),
    minimum: t.int(),
    decisionAt: t.field({ type: "DateTime" }),
    scope: t.field({ type: SharingScopeEnum }),
    prerequisites: t.stringList(),
    grants: t.field({ type: TrainingGrantInput }),
    trainerName: t.string(),
    cancelDeadlineMinutes: t.int(),
    offerHours: t.int(),
  }),
});

const ProximityEnum = builder.enumType("Proximity", { values: PROXIMITY_TIERS });

const NearInputRef = builder.inputType("NearInput", {
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

const TrainingFilterRef = builder.inputType("TrainingFilter", {
  fields: (t) => ({
    topic: t.field({ type: TrainingTopicEnum }),
    tag: t.string(),
    region: t.string({
      description: "INSEE region code of the place (the venue, or the organiser when online)",
    }),
    department: t.string({ description: "Department code of the place, e.g. 07" }),
    near: t.field({
      type: NearInputRef,
      description:
        "Around a commune, ordered by the place's proximity (same commune, EPCI, department, region), then start",
    }),
    from: t.field({
      type: "DateTime",
      description: "Running at or after this instant (default: now)",
    }),
    to: t.field({
      type: "DateTime",
      description: "Starting before this instant, after from (BAD_USER_INPUT filter.to otherwise)",
    }),
    online: t.boolean(),
    hasSeats: t.boolean({ description: "Scheduled with seats left" }),
    credential: t.string({ description: "Granting this credential type" }),
  }),
});

const CLEARABLE = [
  "description",
  "venueSpaceId",
  "onlineUrl",
  "decisionAt",
  "grants",
  "trainerName",
  "offerHours",
];

/** The input as the service reads it: absent fields dropped, null kept where it clears. */
function changesOf(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(input).filter(
      ([key, value]) => value !== undefined && (value !== null || CLEARABLE.includes(key)),
    ),
  );
}

function grantOf(grant: { type: string; validityDays?: number | null } | null | undefined) {
  return grant == null ? grant : { type: grant.type, validityDays: grant.validityDays ?? null };
}

builder.queryFields((t) => ({
  trainings: t.field({
    type: [TrainingRef],
    description: `Trainings this agent knows, by start (at most ${TRAININGS_MAX}), offline too: this network's (every scope) and other nodes' NETWORK and NATIONAL ones replicated here. Any token of this agent.`,
    authScopes: { authenticated: true },
    args: { filter: t.arg({ type: TrainingFilterRef }) },
    resolve: (_parent, args, ctx) => {
      const { near, ...filter } = withoutNulls(args.filter ?? {});
      return ctx.trainings.search({
        ...filter,
        ...(near ? { near: withoutNulls(near) } : {}),
      });
    },
  }),
  training: t.field({
    type: TrainingRef,
    nullable: true,
    description: "A training known here; null for an unknown id (or another network's LOCAL one).",
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_parent, args, ctx) => (await ctx.trainings.find(String(args.id))) ?? null,
  }),
  trainingStatisticsCsv: t.string({
    description: `The statistics of this node's trainings as CSV (${TRAINING_CSV_COLUMNS.join(",")}: the figures of the hub's training CSV, by session), one line per session starting from \`from\` to \`to\` (YYYY-MM-DD, Europe/Paris dates, both included; BAD_USER_INPUT naming the field otherwise): by session date, never by sign-up date; cancelled places never count as filled, a cancelled session offers no seat; credentials_issued counts issuance (those revoked since included, credentials_revoked says how many). Text cells starting with = + - @ are prefixed with '. The fabrique's team.`,
    authScopes: { fabriqueAdmin: true },
    args: {
      from: t.arg.string({ required: true }),
      to: t.arg.string({ required: true }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.trainings.statisticsCsv(viewerOf(ctx), { from: args.from, to: args.to }),
  }),
}));

builder.mutationFields((t) => ({
  createTraining: t.field({
    type: [TrainingRef],
    description: `Creates a training, or a weekly series of them (series), organised at spaceId: the fabrique's team, or a satellite for itself. Returns the sessions created, by start. Refused, writing nothing: BAD_USER_INPUT naming the field (capacity < 1, minimum > capacity, endsAt not after startsAt, a session longer than ${TRAINING_MAX_DAYS} days, a minimum without decisionAt or decisionAt without a minimum, decisionAt after startsAt, a past startsAt or decisionAt, both or neither of venueSpaceId and onlineUrl, an id that is not a Maillage id, a grants.type that is not a slug, a bad series), NOT_FOUND (venueSpaceId, spaceId), UNKNOWN_CREDENTIAL_TYPE (prerequisites), FORBIDDEN, SPACE_CLOSED.`,
    authScopes: (_parent, args) => ({
      fabriqueAdmin: true,
      ownSpace: String(args.input.spaceId),
    }),
    args: { input: t.arg({ type: CreateTrainingInputRef, required: true }) },
    resolve: (_parent, args, ctx) =>
      ctx.trainings.create(
        viewerOf(ctx),
        withoutNulls({
          ...args.input,
          spaceId: String(args.input.spaceId),
          venueSpaceId: args.input.venueSpaceId == null ? null : String(args.input.venueSpaceId),
          grants: grantOf(args.input.grants),
        }),
      ),
  }),
  updateTraining: t.field({
    type: TrainingRef,
    description:
      "Changes one training of this node (its organiser); its enrolments stay. Same refusals as createTraining (a startsAt or decisionAt that changes must be in the future; one left as it was may be past), and INVALID_TRANSITION for a cancelled training or, with reason STARTED and the field, for a date changed once the session has started; BAD_USER_INPUT for a capacity below the seats taken. A raised capacity gives the new seats to the first in line.",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateTrainingInputRef, required: true }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.trainings.update(
        viewerOf(ctx),
        String(args.id),
        changesOf({
          ...args.input,
          spaceId: args.input.spaceId == null ? undefined : String(args.input.spaceId),
          venueSpaceId:
            args.input.venueSpaceId == null
              ? args.input.venueSpaceId
              : String(args.input.venueSpaceId),
          grants: grantOf(args.input.grants),
        }),
      ),
  }),
  cancelTraining: t.field({
    type: TrainingRef,
    description:
      "Cancels a training of this node (its organiser): every enrolled, waitlisted, offered or pending member's place is CANCELLED (CANCELLED_BY_ORGANISER) and each member's home node told. INVALID_TRANSITION if it was.",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.trainings.cancel(viewerOf(ctx), String(args.id)),
  }),
}));
