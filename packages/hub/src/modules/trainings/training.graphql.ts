import {
  ENROLMENT_STATUSES,
  type EnrolmentStatus,
  requireId,
  type SharingScope,
  TRAINING_STATUSES,
  TRAINING_TOPICS,
  type TrainingStatus,
  type TrainingTopic,
} from "@maillage/schema";
import { filter, map, pipe } from "graphql-yoga";
import type { Context, Viewer } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { type ForwardPage, forwardPage, refuseBackward } from "../../graphql/forward-pages.ts";
import {
  type EnrolmentUpdateEvent,
  subscribeLatest,
  type TrainingChangedEvent,
} from "../../realtime/pubsub.ts";
import { NearInput, SharingScopeEnum } from "../resources/resource.graphql.ts";
import { SpaceRef } from "../spaces/space.graphql.ts";
import { canSeeSpace } from "../spaces/visibility.ts";
import { createTrainingRepository, type TrainingRow } from "./training.repository.ts";
import {
  canSeeTraining,
  createTrainingRequest,
  DEFAULT_PAGE,
  encodeCursor,
  MAX_PAGE,
  seatsLeftOf,
  type TrainingRequest,
} from "./training.service.ts";

/**
 * Training sessions at the hub (issue 10): discovery across the network (`trainings`), one
 * training (`training`, `node(id)`), and live updates (`enrolmentUpdated`,
 * `trainingSeatsChanged`) over graphql-ws or server-sent events.
 *
 * Every Training, however it is reached, passes canSeeTraining (the rule of shared resources:
 * a fabrique's team sees NETWORK and NATIONAL trainings and its own network's LOCAL ones; the
 * national body the NATIONAL ones). An Enrolment reaches the teams of the training's network
 * and of the member's home network, and the national body without the member's id.
 */

const requests = new WeakMap<Context, TrainingRequest>();

/** The request's discovery state (its loader), created on first use. */
export function trainingsOf(ctx: Context): TrainingRequest {
  let request = requests.get(ctx);
  if (!request) {
    request = createTrainingRequest({
      repository: createTrainingRepository(ctx.prisma),
      geography: ctx.geography,
      viewer: ctx.viewer,
    });
    requests.set(ctx, request);
  }
  return request;
}

export const TrainingTopicEnum = builder.enumType("TrainingTopic", {
  description: "The documented topics (docs/trainings.md); free tags say the rest.",
  values: TRAINING_TOPICS,
});
export const TrainingStatusEnum = builder.enumType("TrainingStatus", { values: TRAINING_STATUSES });
export const EnrolmentStatusEnum = builder.enumType("EnrolmentStatus", {
  description:
    "PENDING (at the member's home only: no answer from the organiser yet), ENROLLED, WAITLISTED (with a position), OFFERED (a freed seat held until offerExpiresAt), ATTENDED, NO_SHOW, CANCELLED, DECLINED (with reasonCode).",
  values: ENROLMENT_STATUSES,
});

type Grant = { type: string; validityDays: number | null };

const TrainingGrantRef = builder.objectRef<Grant>("TrainingGrant").implement({
  description:
    "The credential attending grants: its type, valid validityDays days (null: no expiry).",
  fields: (t) => ({
    type: t.exposeString("type"),
    validityDays: t.exposeInt("validityDays", { nullable: true }),
  }),
});

const TrainingSeatsRef = builder.objectRef<TrainingRow>("TrainingSeats").implement({
  description:
    "The organiser's counts, as its latest TRAINING event said: taken = seats given (ENROLLED, OFFERED, ATTENDED, NO_SHOW; cancellations excluded), left = capacity − taken while SCHEDULED (0 otherwise), waitlisted = the waitlist's length.",
  fields: (t) => ({
    capacity: t.exposeInt("capacity"),
    taken: t.exposeInt("taken"),
    left: t.int({ resolve: (r) => seatsLeftOf(r) }),
    waitlisted: t.exposeInt("waitlisted"),
    attended: t.exposeInt("attended"),
    noShow: t.exposeInt("noShow"),
  }),
});

/** A space of a training (organiser or venue), for callers who may see it. */
function spaceFor(ctx: Context, spaceId: string | null, networkId: string | null) {
  if (spaceId === null || networkId === null) return null;
  return canSeeSpace(ctx.viewer, {
    id: spaceId,
    fabriqueId: networkId === spaceId ? null : networkId,
  })
    ? ctx.prisma.space.findUnique({ where: { id: spaceId } })
    : null;
}

export const TrainingRef = builder.node(builder.objectRef<TrainingRow>("Training"), {
  description:
    "A training session, organised by a space of its owner node's network (the only writer).",
  id: { resolve: (r) => r.id },
  authScopes: (r, ctx) => canSeeTraining(ctx.viewer, r),
  loadMany: (ids, ctx) => trainingsOf(ctx).visible(ids),
  fields: (t) => ({
    title: t.exposeString("title"),
    topic: t.field({ type: TrainingTopicEnum, resolve: (r) => r.topic }),
    tags: t.exposeStringList("tags"),
    description: t.exposeString("description", { nullable: true }),
    spaceId: t.exposeID("spaceId", { description: "The organiser" }),
    space: t.field({
      type: SpaceRef,
      nullable: true,
      description:
        "The organiser, for callers who may see it (the national body, its own network's team)",
      resolve: (r, _args, ctx) => spaceFor(ctx, r.spaceId, r.networkId),
    }),
    venueSpaceId: t.exposeID("venueSpaceId", {
      nullable: true,
      description: "Where it happens; null when online",
    }),
    venue: t.field({
      type: SpaceRef,
      nullable: true,
      description: "The venue, for callers who may see it",
      resolve: (r, _args, ctx) => spaceFor(ctx, r.venueSpaceId, r.venueNetworkId),
    }),
    onlineUrl: t.exposeString("onlineUrl", { nullable: true }),
    online: t.boolean({ resolve: (r) => r.venueSpaceId === null }),
    startsAt: t.expose("startsAt", { type: "DateTime" }),
    endsAt: t.expose("endsAt", { type: "DateTime" }),
    seriesId: t.exposeID("seriesId", {
      nullable: true,
      description: "The weekly series it belongs to (the id of the series' first training)",
    }),
    capacity: t.exposeInt("capacity"),
    minimum: t.exposeInt("minimum", {
      description: "Below this many seats taken at decisionAt, it is cancelled automatically",
    }),
    decisionAt: t.expose("decisionAt", { type: "DateTime", nullable: true }),
    scope: t.field({ type: SharingScopeEnum, resolve: (r) => r.scope as SharingScope }),
    prerequisites: t.exposeStringList("prerequisites", {
      description: "Credential types a member must hold, valid at the start, to enrol",
    }),
    grants: t.field({
      type: TrainingGrantRef,
      nullable: true,
      resolve: (r) =>
        r.grantsType === null ? null : { type: r.grantsType, validityDays: r.grantsValidityDays },
    }),
    trainerName: t.exposeString("trainerName", { nullable: true }),
    cancelDeadlineMinutes: t.exposeInt("cancelDeadlineMinutes", {
      description: "Members cancel their seat up to this many minutes before the start",
    }),
    offerHours: t.exposeInt("offerHours", {
      nullable: true,
      description:
        "Null: a freed seat goes to the first waitlisted member at once; N: it is offered, held N hours",
    }),
    status: t.field({ type: TrainingStatusEnum, resolve: (r) => r.status as TrainingStatus }),
    cancelReasonCode: t.exposeString("cancelReasonCode", { nullable: true }),
    seats: t.field({ type: TrainingSeatsRef, resolve: (r) => r }),
    createdAt: t.field({
      type: "DateTime",
      description: "When the hub first recorded it",
      resolve: (r) => r.createdAt,
    }),
    updatedAt: t.field({
      type: "DateTime",
      description: "When the hub last recorded a change of it (its organiser's, its seats')",
      resolve: (r) => r.updatedAt,
    }),
  }),
});

/** The member's pseudonymous id is for the fabriques' teams only, never the national body. */
function memberIdFor(viewer: Viewer | null, memberId: string | null): string | null {
  return viewer?.role === "FABRIQUE_ADMIN" ? memberId : null;
}

const instant = (value: string | null) => (value === null ? null : new Date(value));

const EnrolmentRef = builder.objectRef<EnrolmentUpdateEvent>("Enrolment").implement({
  description:
    "A member's place in a training, as its organiser last said (pseudonymous member id only).",
  fields: (t) => ({
    id: t.exposeID("id"),
    trainingId: t.exposeID("trainingId"),
    training: t.field({
      type: TrainingRef,
      nullable: true,
      description: "The training, for callers who may see it",
      resolve: (e, _args, ctx) => trainingsOf(ctx).current(e.trainingId),
    }),
    memberId: t.id({
      nullable: true,
      description: "The member (pseudonymous id); null for the national body",
      resolve: (e, _args, ctx) => memberIdFor(ctx.viewer, e.memberId),
    }),
    status: t.field({ type: EnrolmentStatusEnum, resolve: (e) => e.status as EnrolmentStatus }),
    position: t.exposeInt("position", {
      nullable: true,
      description: "WAITLISTED: 1 for the first in line",
    }),
    offerExpiresAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "OFFERED: when the offer passes to the next",
      resolve: (e) => instant(e.offerExpiresAt),
    }),
    reasonCode: t.exposeString("reasonCode", {
      nullable: true,
      description: "Why it was DECLINED or CANCELLED (a documented code)",
    }),
    reason: t.exposeString("reason", { nullable: true }),
    credentialId: t.exposeID("credentialId", {
      nullable: true,
      description: "ATTENDED: the credential it issued",
    }),
    createdAt: t.field({
      type: "DateTime",
      description: "When the member asked",
      resolve: (e) => new Date(e.requestedAt),
    }),
    updatedAt: t.field({ type: "DateTime", resolve: (e) => new Date(e.updatedAt) }),
  }),
});

const TrainingFilterInput = builder.inputType("TrainingFilter", {
  fields: (t) => ({
    topic: t.field({ type: TrainingTopicEnum }),
    tag: t.string({ description: "Sessions with this free tag" }),
    region: t.string({
      description: "INSEE region code of the place (the venue, or the organiser when online)",
    }),
    department: t.string({ description: "Department code of the place" }),
    near: t.field({
      type: NearInput,
      description:
        "Around a commune, ordered by the place's proximity (same commune, EPCI, department, region), then start",
    }),
    from: t.field({
      type: "DateTime",
      description: "Sessions starting at or after this instant (default: now)",
    }),
    to: t.field({ type: "DateTime", description: "Sessions starting before this instant" }),
    online: t.boolean({ description: "true: online sessions only; false: sessions with a venue" }),
    hasSeats: t.boolean({ description: "Only sessions with a seat left" }),
    credential: t.string({ description: "Only sessions granting this credential type" }),
  }),
});

const readers = { national: true, anyFabriqueAdmin: true } as const;

type PageShape = ForwardPage<TrainingRow, () => Promise<number>>;

builder.queryFields((t) => ({
  training: t.field({
    type: TrainingRef,
    authScopes: readers,
    description: "A training visible to the caller; NOT_FOUND otherwise.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => trainingsOf(ctx).training(requireId(String(args.id), "id")),
  }),
  trainings: t.connection(
    {
      type: TrainingRef,
      authScopes: readers,
      description: `SCHEDULED training sessions visible to the caller (organisers' open spaces), starting from filter.from (default: now), in start order (by proximity first with \`near\`), with seats left and waitlist length; pages of ${DEFAULT_PAGE} by default, ${MAX_PAGE} at most, forward only (first/after).`,
      args: { filter: t.arg({ type: TrainingFilterInput }) },
      resolve: async (_parent, args, ctx) => {
        refuseBackward(args);
        const page = await trainingsOf(ctx).search(args.filter ?? {}, {
          first: args.first,
          after: args.after,
        });
        const result: PageShape = forwardPage(page, encodeCursor);
        return result;
      },
    },
    {
      name: "TrainingConnection",
      fields: (c) => ({
        totalCount: c.int({
          description: "Sessions matching the filter",
          resolve: (connection) => (connection as unknown as PageShape).totalCount(),
        }),
      }),
    },
    { name: "TrainingEdge" },
  ),
}));

/**
 * An enrolment a caller may hear of: its training's team, its member's team, the nation those
 * of the trainings it may see (NATIONAL ones: canSeeTraining, as trainingSeatsChanged).
 */
export function canSeeEnrolment(
  viewer: Viewer | null,
  e: Pick<EnrolmentUpdateEvent, "organiserNetworkId" | "memberNetworkId" | "trainingScope">,
): boolean {
  if (viewer?.role === "NATIONAL") {
    return canSeeTraining(viewer, { scope: e.trainingScope, networkId: e.organiserNetworkId });
  }
  return (
    viewer?.role === "FABRIQUE_ADMIN" &&
    (viewer.fabriqueId === e.organiserNetworkId || viewer.fabriqueId === e.memberNetworkId)
  );
}

/** A training from its live event, as the Training type reads it. */
function trainingOf(e: TrainingChangedEvent): TrainingRow {
  return {
    ...e,
    topic: e.topic as TrainingTopic,
    startsAt: new Date(e.startsAt),
    endsAt: new Date(e.endsAt),
    decisionAt: instant(e.decisionAt),
    createdAt: new Date(e.createdAt),
    updatedAt: new Date(e.updatedAt),
    tier: null,
  };
}

/** On subscribe: the one training followed must be visible (NOT_FOUND otherwise). */
async function followed(ctx: Context, trainingId: string | null | undefined) {
  if (trainingId == null) return null;
  const id = requireId(String(trainingId), "trainingId");
  await trainingsOf(ctx).training(id);
  return id;
}

const teamsAndNation = { national: true, anyFabriqueAdmin: true } as const;

builder.subscriptionFields((t) => ({
  enrolmentUpdated: t.field({
    type: EnrolmentRef,
    authScopes: teamsAndNation,
    description:
      "Enrolments written by their organiser (decided, promoted, moved in the waitlist, cancelled, attended), after commit: a fabrique's team gets those of its trainings and of its members, the national body those of the NATIONAL trainings, without member ids. `trainingId` follows one visible training (NOT_FOUND otherwise).",
    args: { trainingId: t.arg.id({ description: "Only this training's" }) },
    subscribe: async (_parent, args, ctx) => {
      const only = await followed(ctx, args.trainingId);
      return pipe(
        subscribeLatest(ctx.pubsub, "enrolment:updated", 256),
        filter((e) => (only === null || e.trainingId === only) && canSeeEnrolment(ctx.viewer, e)),
      );
    },
    resolve: (e) => e,
  }),
  trainingSeatsChanged: t.field({
    type: TrainingRef,
    authScopes: teamsAndNation,
    description:
      "A visible training written by its organiser (its seats and waitlist as it sent them), after commit. `trainingId` follows one visible training (NOT_FOUND otherwise).",
    args: { trainingId: t.arg.id({ description: "Only this training" }) },
    subscribe: async (_parent, args, ctx) => {
      const only = await followed(ctx, args.trainingId);
      return pipe(
        subscribeLatest(ctx.pubsub, "training:changed", 256),
        filter((e) => (only === null || e.id === only) && canSeeTraining(ctx.viewer, e)),
        map(trainingOf),
      );
    },
    resolve: (r) => r,
  }),
}));
