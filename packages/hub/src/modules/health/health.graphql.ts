import { requireId } from "@maillage/schema";
import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { ResourceCategoryEnum, SharingScopeEnum } from "../resources/resource.graphql.ts";
import { TrainingTopicEnum } from "../trainings/training.graphql.ts";
import type { HealthService } from "./health.service.ts";

/** `networkHealth`: what the national body sees of the mesh, at a glance. */

type HealthSections = ReturnType<HealthService["networkHealth"]>;
/** A section's figures, once computed (the service computes each when first asked for). */
type Health = {
  [K in keyof HealthSections]: HealthSections[K] extends () => Promise<infer T>
    ? T
    : HealthSections[K];
};
type Coverage = Health["coverage"];

const CoverageFields = {
  fabriques: "open fabriques",
  satellites: "open satellites",
  spaces: "open spaces",
  activeSpaces: "open spaces whose latest report falls in the period",
  silentSpaces: "open spaces with no report in the 30 days before the period's end",
  communesCovered: "distinct communes with an open space",
  ruralSpaces: "open spaces in rural communes",
} as const;

const CoverageRef = builder.objectRef<Coverage>("Coverage").implement({
  fields: (t) => ({
    ...Object.fromEntries(
      Object.entries(CoverageFields).map(([name, description]) => [
        name,
        t.int({ description, resolve: (c) => c[name as keyof typeof CoverageFields] }),
      ]),
    ),
    ruralShare: t.float({
      description: "share of open spaces in rural communes, 0 to 1",
      resolve: (c) => c.ruralShare,
    }),
  }),
});

const DepartmentHealthRef = builder
  .objectRef<Health["regions"][number]["departments"][number]>("DepartmentHealth")
  .implement({
    fields: (t) => ({
      code: t.exposeString("code"),
      name: t.exposeString("name"),
      coverage: t.field({ type: CoverageRef, resolve: (d) => d }),
    }),
  });

type TrainingFigures = Health["training"]["previous"];

const TrainingFiguresRef = builder.interfaceRef<TrainingFigures>("TrainingFigures").implement({
  description:
    "Training figures of a period, a topic or a region, by the sessions' Europe/Paris start day.",
  fields: (t) => ({
    trainings: t.exposeInt("trainings", { description: "SCHEDULED sessions" }),
    cancelledTrainings: t.exposeInt("cancelledTrainings", { description: "cancelled sessions" }),
    seatsOffered: t.exposeInt("seatsOffered", {
      description: "capacity of the SCHEDULED sessions",
    }),
    seatsFilled: t.exposeInt("seatsFilled", {
      description:
        "enrolments holding a seat (ENROLLED, OFFERED, ATTENDED, NO_SHOW): cancelled and declined ones never count",
    }),
    fillRate: t.exposeFloat("fillRate", {
      nullable: true,
      description: "seatsFilled / seatsOffered, 0 to 1 (null without seats)",
    }),
    waitlisted: t.exposeInt("waitlisted", { description: "members still WAITLISTED" }),
    waitlistPressure: t.exposeFloat("waitlistPressure", {
      nullable: true,
      description: "waitlisted / seatsOffered (null without seats)",
    }),
    attended: t.exposeInt("attended"),
    noShow: t.exposeInt("noShow"),
    attendanceRate: t.exposeFloat("attendanceRate", {
      nullable: true,
      description: "attended / (attended + noShow), 0 to 1 (null before attendance is marked)",
    }),
    noShowRate: t.exposeFloat("noShowRate", {
      nullable: true,
      description: "noShow / (attended + noShow), 0 to 1",
    }),
    hoursDelivered: t.exposeFloat("hoursDelivered", {
      description: "attendees × each session's length, in hours",
    }),
    credentialsIssued: t.exposeInt("credentialsIssued", {
      description: "attendances that issued the session's credential",
    }),
    crossNodeEnrolments: t.exposeInt("crossNodeEnrolments", {
      description: "seats filled by members homed at another node than the organiser's",
    }),
    crossNodeShare: t.exposeFloat("crossNodeShare", {
      description: "crossNodeEnrolments / seatsFilled, 0 to 1 (0 without seats filled)",
    }),
    cancellations: t.exposeInt("cancellations", {
      description:
        "enrolments cancelled (by the member, the organiser, the minimum, an expired offer)",
    }),
  }),
});

const TrainingTotalsRef = builder.objectRef<TrainingFigures>("TrainingTotals").implement({
  description: "The training figures of one period (or one region).",
  interfaces: [TrainingFiguresRef],
  fields: () => ({}),
});

const TrainingTopicHealthRef = builder
  .objectRef<Health["training"]["byTopic"][number]>("TrainingTopicHealth")
  .implement({
    description: "The training figures of one topic over the period.",
    interfaces: [TrainingFiguresRef],
    fields: (t) => ({
      topic: t.field({ type: TrainingTopicEnum, resolve: (r) => r.topic }),
    }),
  });

const TrainingHealthRef = builder.objectRef<Health["training"]>("TrainingHealth").implement({
  description:
    "Training sessions organised in the territory (by the organiser's space) starting in the period (Europe/Paris days: the session's date, never the sign-up date), from the training rollups. Trends in percent against the previous period of equal length (null when it had none).",
  interfaces: [TrainingFiguresRef],
  fields: (t) => ({
    previous: t.field({ type: TrainingTotalsRef, resolve: (h) => h.previous }),
    byTopic: t.field({ type: [TrainingTopicHealthRef], resolve: (h) => h.byTopic }),
    trainingsTrend: t.exposeFloat("trainingsTrend", { nullable: true }),
    seatsFilledTrend: t.exposeFloat("seatsFilledTrend", { nullable: true }),
    hoursDeliveredTrend: t.exposeFloat("hoursDeliveredTrend", { nullable: true }),
    credentialsIssuedTrend: t.exposeFloat("credentialsIssuedTrend", { nullable: true }),
    attendanceRateTrend: t.exposeFloat("attendanceRateTrend", { nullable: true }),
  }),
});

const RegionHealthRef = builder.objectRef<Health["regions"][number]>("RegionHealth").implement({
  description: "One row per region, for the dashboard's map and table.",
  fields: (t) => ({
    code: t.exposeString("code"),
    name: t.exposeString("name"),
    coverage: t.field({ type: CoverageRef, resolve: (r) => r }),
    visitors: t.exposeInt("visitors"),
    events: t.exposeInt("events"),
    participants: t.exposeInt("participants"),
    openHours: t.exposeFloat("openHours"),
    sharedResources: t.exposeInt("sharedResources", {
      description:
        "resources hosted in the region shared beyond their network (not RETIRED); like the booking figures, only for a NATION or REGION scope (0 otherwise)",
    }),
    bookings: t.exposeInt("bookings", { description: "confirmed bookings and loans" }),
    bookedHours: t.exposeFloat("bookedHours"),
    crossNodeBookings: t.exposeInt("crossNodeBookings"),
    loans: t.exposeInt("loans"),
    utilisation: t.exposeFloat("utilisation", {
      nullable: true,
      description:
        "booked / open time of the region's AVAILABLE resources (see MutualisationHealth); like bookings, only for a NATION or REGION scope",
    }),
    training: t.field({
      type: TrainingTotalsRef,
      description:
        "the region's training figures; like the booking figures, only for a NATION or REGION scope (zeros otherwise)",
      resolve: (r) => r.training(),
    }),
    departments: t.field({ type: [DepartmentHealthRef], resolve: (r) => r.departments }),
  }),
});

const ActivityTotalsRef = builder
  .objectRef<Health["activity"]["previous"]>("ActivityTotals")
  .implement({
    fields: (t) => ({
      visitors: t.exposeInt("visitors"),
      events: t.exposeInt("events"),
      participants: t.exposeInt("participants"),
      openHours: t.exposeFloat("openHours"),
      reports: t.exposeInt("reports", {
        description: "space-days reported (revisions counted once)",
      }),
    }),
  });

const ActivityHealthRef = builder.objectRef<Health["activity"]>("ActivityHealth").implement({
  description:
    "Totals of the period; trends in percent against the previous period of equal length (null when it had none).",
  fields: (t) => ({
    visitors: t.exposeInt("visitors"),
    events: t.exposeInt("events"),
    participants: t.exposeInt("participants"),
    openHours: t.exposeFloat("openHours"),
    reports: t.exposeInt("reports"),
    previous: t.field({ type: ActivityTotalsRef, resolve: (a) => a.previous }),
    visitorsTrend: t.exposeFloat("visitorsTrend", { nullable: true }),
    eventsTrend: t.exposeFloat("eventsTrend", { nullable: true }),
    participantsTrend: t.exposeFloat("participantsTrend", { nullable: true }),
    openHoursTrend: t.exposeFloat("openHoursTrend", { nullable: true }),
  }),
});

type Mutualisation = Health["mutualisation"];

const SharingScopeCountRef = builder
  .objectRef<Mutualisation["resourcesBySharingScope"][number]>("SharingScopeCount")
  .implement({
    fields: (t) => ({
      sharingScope: t.field({ type: SharingScopeEnum, resolve: (c) => c.sharingScope }),
      resources: t.exposeInt("resources"),
    }),
  });

const ResourceCategoryCountRef = builder
  .objectRef<Mutualisation["resourcesByCategory"][number]>("ResourceCategoryCount")
  .implement({
    fields: (t) => ({
      category: t.field({ type: ResourceCategoryEnum, resolve: (c) => c.category }),
      resources: t.exposeInt("resources"),
      sharedResources: t.exposeInt("sharedResources", { description: "NETWORK or NATIONAL" }),
    }),
  });

const MutualisationTotalsRef = builder
  .objectRef<Mutualisation["previous"]>("MutualisationTotals")
  .implement({
    description: "The booking figures of one period.",
    fields: (t) => ({
      bookings: t.exposeInt("bookings", {
        description: "confirmed bookings and loans starting in the period (Europe/Paris days)",
      }),
      bookedHours: t.exposeFloat("bookedHours", {
        description: "their whole length, counted on the day they start",
      }),
      crossNodeBookings: t.exposeInt("crossNodeBookings", {
        description: "those answering another node's booking request",
      }),
      crossNodeShare: t.exposeFloat("crossNodeShare", {
        description: "crossNodeBookings / bookings, 0 to 1 (0 without bookings)",
      }),
      loans: t.exposeInt("loans", { description: "those that are loans (kind LOAN)" }),
      resourceOpenHours: t.exposeFloat("resourceOpenHours", {
        description:
          "open time of the AVAILABLE resources over the period: weekly open hours × days / 7 (closures ignored)",
      }),
      utilisation: t.exposeFloat("utilisation", {
        nullable: true,
        description:
          "bookedHours / resourceOpenHours (null when nothing is open; above 1 when bookings run past the windows)",
      }),
    }),
  });

const MutualisationHealthRef = builder.objectRef<Mutualisation>("MutualisationHealth").implement({
  description:
    "Shared resources hosted in the territory (RETIRED ones left out) and the confirmed bookings of them, from the booking rollups. Utilisation is an approximation: the open time of today's AVAILABLE resources (weekly open time from their windows, 24 × 7 without any, × days / 7, closures ignored) against every booking of the territory's resources. Trends in percent against the previous period of equal length (null when it had none).",
  fields: (t) => ({
    resources: t.exposeInt("resources", { description: "resources held at the hub, any scope" }),
    sharedResources: t.exposeInt("sharedResources", {
      description: "shared beyond their network: NETWORK or NATIONAL",
    }),
    availableResources: t.exposeInt("availableResources", { description: "status AVAILABLE" }),
    resourcesBySharingScope: t.field({
      type: [SharingScopeCountRef],
      resolve: (m) => m.resourcesBySharingScope,
    }),
    resourcesByCategory: t.field({
      type: [ResourceCategoryCountRef],
      resolve: (m) => m.resourcesByCategory,
    }),
    bookings: t.exposeInt("bookings"),
    bookedHours: t.exposeFloat("bookedHours"),
    crossNodeBookings: t.exposeInt("crossNodeBookings"),
    crossNodeShare: t.exposeFloat("crossNodeShare"),
    loans: t.exposeInt("loans"),
    resourceOpenHours: t.exposeFloat("resourceOpenHours"),
    utilisation: t.exposeFloat("utilisation", { nullable: true }),
    previous: t.field({ type: MutualisationTotalsRef, resolve: (m) => m.previous }),
    bookingsTrend: t.exposeFloat("bookingsTrend", { nullable: true }),
    bookedHoursTrend: t.exposeFloat("bookedHoursTrend", { nullable: true }),
    crossNodeBookingsTrend: t.exposeFloat("crossNodeBookingsTrend", { nullable: true }),
    loansTrend: t.exposeFloat("loansTrend", { nullable: true }),
    utilisationTrend: t.exposeFloat("utilisationTrend", { nullable: true }),
  }),
});

const NodeLagRef = builder.objectRef<Health["liveness"]["worstLags"][number]>("NodeLag").implement({
  fields: (t) => ({
    nodeId: t.exposeID("nodeId"),
    fabriqueName: t.exposeString("fabriqueName"),
    liveness: t.exposeString("liveness"),
    lastSeenAt: t.expose("lastSeenAt", { type: "DateTime", nullable: true }),
    pending: t.exposeInt("pending"),
    lagSeconds: t.exposeInt("lagSeconds"),
  }),
});

const LivenessHealthRef = builder.objectRef<Health["liveness"]>("LivenessHealth").implement({
  fields: (t) => ({
    online: t.exposeInt("online"),
    stale: t.exposeInt("stale"),
    silent: t.exposeInt("silent"),
    worstLags: t.field({ type: [NodeLagRef], resolve: (l) => l.worstLags }),
  }),
});

export const NetworkHealthRef = builder.objectRef<HealthSections>("NetworkHealth").implement({
  fields: (t) => ({
    scope: t.string({
      description: "NATION, REGION, DEPARTMENT or FABRIQUE",
      resolve: (h) => h.scope.scope,
    }),
    scopeId: t.string({ resolve: (h) => h.scope.scopeId }),
    from: t.exposeString("from"),
    to: t.exposeString("to"),
    coverage: t.field({ type: CoverageRef, resolve: (h) => h.coverage() }),
    liveness: t.field({ type: LivenessHealthRef, resolve: (h) => h.liveness() }),
    activity: t.field({ type: ActivityHealthRef, resolve: (h) => h.activity() }),
    mutualisation: t.field({ type: MutualisationHealthRef, resolve: (h) => h.mutualisation() }),
    training: t.field({ type: TrainingHealthRef, resolve: (h) => h.training() }),
    regions: t.field({ type: [RegionHealthRef], resolve: (h) => h.regions() }),
  }),
});

const HealthFilterInput = builder.inputType("NetworkHealthFilter", {
  fields: (t) => ({
    region: t.string({ description: "INSEE region code" }),
    department: t.string({ description: "INSEE department code" }),
    fabriqueId: t.id({ description: "a fabrique's territory (itself and its satellites)" }),
    from: t.string({ description: "first day, YYYY-MM-DD (default: 29 days before `to`)" }),
    to: t.string({ description: "last day, YYYY-MM-DD (default: today)" }),
  }),
});

builder.queryFields((t) => ({
  networkHealth: t.field({
    type: NetworkHealthRef,
    authScopes: { national: true, anyFabriqueAdmin: true },
    description:
      "Coverage, liveness, activity, mutualisation and training of the network (NATIONAL), or of the caller's territory (FABRIQUE_ADMIN). Aggregates only, from rollups.",
    args: { filter: t.arg({ type: HealthFilterInput }) },
    resolve: (_parent, args, ctx) => {
      const { fabriqueId, ...filter } = args.filter ?? {};
      return ctx.healthService.networkHealth(viewerOf(ctx), {
        ...filter,
        fabrique:
          fabriqueId == null ? undefined : requireId(String(fabriqueId), "filter.fabriqueId"),
      });
    },
  }),
}));
