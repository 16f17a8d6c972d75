import { ENROLMENT_STATUSES } from "@maillage/schema";
import { type Context, viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { untilExpiry } from "../resources/live.ts";
import type { EnrolmentRecord } from "./enrolment.repository.ts";
import { canSeeEnrolment, type EnrolmentUpdate } from "./live.ts";
import { TrainingRef } from "./training.graphql.ts";
import type { TrainingRecord } from "./training.repository.ts";

/** Enrolments in GraphQL: see enrolment.service.ts for the rules, docs/trainings.md for people. */

const EnrolmentStatusEnum = builder.enumType("EnrolmentStatus", {
  description:
    "PENDING (at the member's home: sent, no answer from the organiser yet), ENROLLED, WAITLISTED (with a position), OFFERED (a freed seat held until offerExpiresAt), ATTENDED, NO_SHOW, CANCELLED or DECLINED (reasonCode says why).",
  values: ENROLMENT_STATUSES,
});
const AttendanceEnum = builder.enumType("AttendanceStatus", {
  description: "What the organiser records of an enrolled member, from the training's start.",
  values: ["ATTENDED", "NO_SHOW"] as const,
});

/** Whether the caller may see this enrolment (the team all; a satellite its trainings' and members'; a member its own). */
async function canSee(e: EnrolmentRecord, ctx: Context): Promise<boolean> {
  if (!ctx.viewer) return false;
  if (ctx.viewer.role !== "SATELLITE") {
    return canSeeEnrolment(ctx.viewer, {
      enrolment: e,
      trainingSpaceId: null,
      memberHomeSpaceId: null,
    });
  }
  return (await ctx.enrolments.find(ctx.viewer, e.id)) !== undefined;
}

export const EnrolmentRef = builder.objectRef<EnrolmentRecord>("Enrolment").implement({
  description:
    "A member's place in a training: decided by the training's organiser, at once for its own network's members, through the hub for another node's (PENDING at home until the answer comes).",
  authScopes: (e, ctx) => canSee(e, ctx),
  fields: (t) => ({
    id: t.exposeID("id"),
    trainingId: t.exposeID("trainingId"),
    training: t.field({
      type: TrainingRef,
      nullable: true,
      description: "The training, when this agent knows it",
      resolve: async (e, _args, ctx) => (await ctx.trainings.find(e.trainingId)) ?? null,
    }),
    memberId: t.exposeID("memberId", {
      nullable: true,
      description: "The member (pseudonymous id)",
    }),
    status: t.expose("status", { type: EnrolmentStatusEnum }),
    position: t.exposeInt("position", {
      nullable: true,
      description: "WAITLISTED: the place in line, 1 for the first",
    }),
    offerExpiresAt: t.expose("offerExpiresAt", {
      type: "DateTime",
      nullable: true,
      description: "OFFERED: accept before this instant (acceptEnrolmentOffer), or it passes on",
    }),
    reasonCode: t.exposeString("reasonCode", {
      nullable: true,
      description:
        "Why DECLINED (PREREQUISITE_MISSING, ENROLMENT_CLOSED, ALREADY_ENROLLED, TRAINING_NOT_SHARED) or CANCELLED (CANCELLED_BY_MEMBER, CANCELLED_BY_ORGANISER, MINIMUM_NOT_REACHED, OFFER_EXPIRED)",
    }),
    reason: t.exposeString("reason", { nullable: true, description: "The same, in words" }),
    credentialId: t.exposeID("credentialId", {
      nullable: true,
      description: "ATTENDED: the credential the training issued",
    }),
    createdAt: t.expose("createdAt", {
      type: "DateTime",
      description: "When the member asked (at its home node)",
    }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

builder.queryFields((t) => ({
  enrolments: t.field({
    type: [EnrolmentRef],
    description:
      "Enrolments known here, oldest first: for the fabrique's team every one (its trainings' places, its members' requests); for a satellite those of the trainings it organises and of its members; for a member its own.",
    authScopes: { authenticated: true },
    args: {
      trainingId: t.arg.id(),
      memberId: t.arg.id(),
      status: t.arg({ type: EnrolmentStatusEnum }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.enrolments.list(viewerOf(ctx), {
        trainingId: args.trainingId == null ? null : String(args.trainingId),
        memberId: args.memberId == null ? null : String(args.memberId),
        status: args.status ?? null,
      }),
  }),
  myEnrolments: t.field({
    type: [EnrolmentRef],
    description:
      "A member's own enrolments at its home agent (a MEMBER token), oldest first, with positions in line and offers.",
    authScopes: { authenticated: true },
    resolve: (_parent, _args, ctx) => {
      const viewer = viewerOf(ctx);
      return viewer.role === "MEMBER" ? ctx.enrolments.list(viewer, {}) : [];
    },
  }),
}));

builder.mutationFields((t) => ({
  enrol: t.field({
    type: EnrolmentRef,
    description:
      "Enrols a member homed in this network in a training known here: the fabrique's team, the member's satellite, or the member itself. A training of this node is decided at once: ENROLLED, or WAITLISTED with a position. Another node's is checked here, stored PENDING and sent to its organiser, which answers (hub or organiser offline, it waits). Refused, writing nothing: ENROLMENT_CLOSED (started or cancelled), ALREADY_ENROLLED (extensions.enrolmentId), PREREQUISITE_MISSING (extensions.credential), NOT_FOUND (trainingId, memberId), FORBIDDEN (another network's member, another satellite's).",
    authScopes: { authenticated: true },
    args: {
      trainingId: t.arg.id({ required: true }),
      memberId: t.arg.id({ required: true }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.enrolments.enrol(viewerOf(ctx), {
        trainingId: String(args.trainingId),
        memberId: String(args.memberId),
      }),
  }),
  cancelEnrolment: t.field({
    type: EnrolmentRef,
    description:
      "The member withdraws (CANCELLED_BY_MEMBER), at its home agent: the member, its satellite or the team. A seat can be given back until cancelDeadlineMinutes before the start (CANCEL_DEADLINE_PASSED after, nothing written); it goes to the first in line. INVALID_TRANSITION when not live; FORBIDDEN for another node's member (the organiser uses removeEnrolment).",
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.enrolments.cancel(viewerOf(ctx), String(args.id)),
  }),
  acceptEnrolmentOffer: t.field({
    type: EnrolmentRef,
    description:
      "Takes the seat offered from the waitlist, at the member's home agent, before offerExpiresAt (OFFER_EXPIRED after, nothing written). For another node's training it travels to the organiser, which answers ENROLLED (if accepted in time).",
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.enrolments.acceptOffer(viewerOf(ctx), String(args.id)),
  }),
  removeEnrolment: t.field({
    type: EnrolmentRef,
    description:
      "The organiser takes a place back (CANCELLED_BY_ORGANISER, reason as given): the team, or the satellite organising the training. Its seat goes to the first in line; the member's home node is told.",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: {
      id: t.arg.id({ required: true }),
      reason: t.arg.string({ description: "Told to the member" }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.enrolments.remove(viewerOf(ctx), { id: String(args.id), reason: args.reason ?? null }),
  }),
  markAttendance: t.field({
    type: EnrolmentRef,
    description:
      "Records whether an enrolled member came (the training's organiser), from its start on, offline too. ATTENDED issues the credential the training grants (expiry: attendance + validityDays), to a member of any network; back to NO_SHOW revokes it. INVALID_TRANSITION before the start (reason NOT_STARTED), for a cancelled training or a place not enrolled.",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: {
      id: t.arg.id({ required: true }),
      status: t.arg({ type: AttendanceEnum, required: true }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.enrolments.markAttendance(viewerOf(ctx), { id: String(args.id), status: args.status }),
  }),
}));

builder.subscriptionFields((t) => ({
  enrolmentUpdated: t.field({
    type: EnrolmentRef,
    description:
      "Every change of an enrolment known here, local or brought by a pull (an organiser's answer, a promotion, a position): the fabrique's team sees all, a satellite those of the trainings it organises and of its members, a member its own. trainingId follows one training. Ends when the token expires.",
    authScopes: { authenticated: true },
    args: { trainingId: t.arg.id({ description: "Only this training" }) },
    subscribe: (_parent, args, ctx) => {
      const viewer = viewerOf(ctx);
      const only = args.trainingId == null ? null : String(args.trainingId);
      return untilExpiry(
        ctx.pubsub.subscribe("enrolmentUpdated"),
        viewer.exp,
        (update: EnrolmentUpdate) =>
          (only === null || update.enrolment.trainingId === only) &&
          canSeeEnrolment(viewer, update),
      );
    },
    resolve: (update: EnrolmentUpdate) => update.enrolment,
  }),
  trainingSeatsChanged: t.field({
    type: TrainingRef,
    description:
      "A training's seats or state changed (this node's, or a replica's as its organiser sent them). trainingId follows one; without it, every training known here. Any token of this agent. Ends when the token expires.",
    authScopes: { authenticated: true },
    args: { trainingId: t.arg.id({ description: "Only this training" }) },
    subscribe: (_parent, args, ctx) => {
      const viewer = viewerOf(ctx);
      const only = args.trainingId == null ? null : String(args.trainingId);
      return untilExpiry(
        ctx.pubsub.subscribe("trainingSeatsChanged"),
        viewer.exp,
        (training: TrainingRecord) =>
          (only === null || training.id === only) && (training.owned || training.scope !== "LOCAL"),
      );
    },
    resolve: (training: TrainingRecord) => training,
  }),
}));
