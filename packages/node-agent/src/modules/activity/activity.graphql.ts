import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { withoutNulls } from "../spaces/space.graphql.ts";
import type { ActivityReport } from "./activity.repository.ts";
import { canSeeActivity } from "./activity.service.ts";

export const ActivityReportRef = builder.objectRef<ActivityReport>("ActivityReport").implement({
  description:
    "A space's activity for one day. The counts travel to the hub; the note stays at this agent.",
  authScopes: (report, ctx) => ctx.viewer !== null && canSeeActivity(ctx.viewer, report),
  fields: (t) => ({
    spaceId: t.exposeID("spaceId"),
    date: t.exposeString("date", { description: "YYYY-MM-DD" }),
    visitors: t.exposeInt("visitors"),
    events: t.exposeInt("events"),
    participants: t.exposeInt("participants"),
    openHours: t.exposeFloat("openHours", { description: "Hours open that day, 0 to 24" }),
    note: t.exposeString("note", { nullable: true, description: "Local only, never sent" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const ActivityImportRef = builder
  .objectRef<{ imported: number; emitted: number; reports: ActivityReport[] }>("ActivityImport")
  .implement({
    fields: (t) => ({
      imported: t.exposeInt("imported", {
        description: "Reports written (one per space and day; a later line of the same day wins)",
      }),
      emitted: t.exposeInt("emitted", {
        description: "Events sent to the hub (a report equal to the stored one sends none)",
      }),
      reports: t.field({ type: [ActivityReportRef], resolve: (r) => r.reports }),
    }),
  });

const ReportActivityInputRef = builder.inputType("ReportActivityInput", {
  fields: (t) => ({
    spaceId: t.id({ required: true }),
    date: t.string({ required: true, description: "YYYY-MM-DD, not in the future" }),
    visitors: t.int({ required: true }),
    events: t.int({ required: true }),
    participants: t.int({ required: true }),
    openHours: t.float({ required: true }),
    note: t.string({ description: "Free text kept at this agent only" }),
    idempotencyKey: t.string({
      description:
        "Chosen by the client, new for each report: a re-send with the same key and content changes nothing; with other content it is refused (BAD_USER_INPUT)",
    }),
  }),
});

builder.queryFields((t) => ({
  activity: t.field({
    type: [ActivityReportRef],
    description: "A space's reports from `from` to `to` (YYYY-MM-DD, both included), by day.",
    authScopes: (_parent, args) => ({ fabriqueAdmin: true, ownSpace: String(args.spaceId) }),
    args: {
      spaceId: t.arg.id({ required: true }),
      from: t.arg.string({ required: true }),
      to: t.arg.string({ required: true }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.activity.list(viewerOf(ctx), { ...args, spaceId: String(args.spaceId) }),
  }),
}));

builder.mutationFields((t) => ({
  reportActivity: t.field({
    type: ActivityReportRef,
    description:
      "Reports (or revises) a space's activity for a day: the fabrique's team, or the satellite itself.",
    authScopes: (_parent, args) => ({
      fabriqueAdmin: true,
      ownSpace: String(args.input.spaceId),
    }),
    args: { input: t.arg({ type: ReportActivityInputRef, required: true }) },
    resolve: (_parent, args, ctx) =>
      ctx.activity.report(
        viewerOf(ctx),
        withoutNulls({ ...args.input, spaceId: String(args.input.spaceId) }),
      ),
  }),
  withdrawActivity: t.field({
    type: ActivityReportRef,
    description: "Withdraws a day's report (the fabrique's team); the hub stops counting it.",
    authScopes: { fabriqueAdmin: true },
    args: { spaceId: t.arg.id({ required: true }), date: t.arg.string({ required: true }) },
    resolve: (_parent, args, ctx) =>
      ctx.activity.withdraw(viewerOf(ctx), { ...args, spaceId: String(args.spaceId) }),
  }),
  importActivity: t.field({
    type: ActivityImportRef,
    description:
      "Imports a CSV log (header space_id,date,visitors,events,participants,open_hours[,note]), all or nothing. On a problem: BAD_USER_INPUT with extensions.errors = [{ line, field, message }].",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: { csv: t.arg.string({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.activity.importCsv(viewerOf(ctx), args.csv),
  }),
}));
