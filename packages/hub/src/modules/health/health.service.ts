import {
  type Geography,
  MaillageError,
  RESOURCE_CATEGORIES,
  SHARING_SCOPES,
  TRAINING_TOPICS,
} from "@maillage/schema";
import type { SqlStore } from "@maillage/storage";
import type { Viewer } from "../../context.ts";
import { type Liveness, livenessOf } from "../nodes/liveness.ts";
import * as repo from "./health.repository.ts";

/**
 * Network health for the national body (and a fabrique's team, for its own territory):
 * coverage, activity, bookings, shared resources and training from rollups kept by deltas in
 * the transactions that write them (space_rollup and its siblings, activity_rollup,
 * booking_rollup, resource_rollup, training_rollup), liveness from the nodes of the scope.
 *
 * Mutualisation counts the resources the hub holds in the territory (hosted there; RETIRED
 * ones left out) and the CONFIRMED bookings of them, on the Europe/Paris day they start
 * (booking_rollup). Utilisation = booked minutes / open minutes of the AVAILABLE resources,
 * where a resource's open minutes over the period are its weekly open minutes (from its
 * windows; 24 × 7 without any) × days / 7 — an approximation that ignores closures and uses
 * today's resources for the previous period too; booked minutes count every booking of the
 * territory's resources, whatever their state now.
 *
 * Training counts the sessions ORGANISED in the territory (the organiser's space), on the
 * Europe/Paris day they start — the session's date, never the sign-up date — from the training
 * rollup (trainings/training-rollup.repository.ts): seats offered by SCHEDULED sessions and
 * filled by enrolments holding a seat (cancelled and declined ones never count), attendance and
 * no-show rates among those marked, hours delivered (attendees × length), credentials issued,
 * waitlist pressure (waitlisted ÷ seats offered), and the share of seats taken by members of
 * another node than the organiser's.
 */
export type HealthService = ReturnType<typeof createHealthService>;

export type HealthFilter = {
  region?: string | null | undefined;
  department?: string | null | undefined;
  fabrique?: string | null | undefined;
  from?: string | null | undefined;
  to?: string | null | undefined;
};

const DAY_MS = 86_400_000;
const MAX_RANGE_DAYS = 731;
const WORST_LAGS = 5;

/** A computation run at most once, when first asked for. */
function once<T>(compute: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => {
    result ??= compute();
    return result;
  };
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function shiftDays(day: string, days: number): string {
  return isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));
}

function trend(current: number, previous: number): number | null {
  return previous === 0 ? null : Math.round(((current - previous) / previous) * 1000) / 10;
}

const round = (value: number, decimals: number) => {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
};

const ratio = (part: number, whole: number, decimals = 3) =>
  whole === 0 ? null : round(part / whole, decimals);

/** The training figures of a period (or of one topic, or one region), from rollup sums. */
export function trainingFigures(totals: repo.TrainingTotals) {
  const marked = totals.attended + totals.noShow;
  return {
    trainings: totals.trainings,
    cancelledTrainings: totals.cancelledTrainings,
    seatsOffered: totals.seatsOffered,
    seatsFilled: totals.seatsFilled,
    fillRate: ratio(totals.seatsFilled, totals.seatsOffered),
    waitlisted: totals.waitlisted,
    waitlistPressure: ratio(totals.waitlisted, totals.seatsOffered),
    attended: totals.attended,
    noShow: totals.noShow,
    attendanceRate: ratio(totals.attended, marked),
    noShowRate: ratio(totals.noShow, marked),
    hoursDelivered: round(totals.attendedMinutes / 60, 2),
    credentialsIssued: totals.credentials,
    crossNodeEnrolments: totals.crossNode,
    crossNodeShare: ratio(totals.crossNode, totals.seatsFilled) ?? 0,
    cancellations: totals.cancellations,
  };
}

/** Bookings of a period, and their share of the open time of `weeklyOpenMinutes` resources. */
function bookingFigures(totals: repo.BookingTotals, weeklyOpenMinutes: number, days: number) {
  const openMinutes = (weeklyOpenMinutes * days) / 7;
  return {
    bookings: totals.bookings,
    bookedHours: round(totals.bookedMinutes / 60, 2),
    crossNodeBookings: totals.crossNode,
    crossNodeShare: totals.bookings === 0 ? 0 : round(totals.crossNode / totals.bookings, 3),
    loans: totals.loans,
    resourceOpenHours: round(openMinutes / 60, 2),
    utilisation: openMinutes === 0 ? null : round(totals.bookedMinutes / openMinutes, 4),
  };
}

export function createHealthService(deps: { store: SqlStore; geography: Geography }) {
  const { store, geography } = deps;

  function resolveScope(viewer: Viewer, filter: HealthFilter): repo.Scope {
    if (viewer.role === "FABRIQUE_ADMIN") {
      if (filter.fabrique && filter.fabrique !== viewer.fabriqueId) {
        throw new MaillageError("FORBIDDEN", "a fabrique's team sees its own territory only");
      }
      return { scope: "FABRIQUE", scopeId: viewer.fabriqueId ?? "" };
    }
    if (filter.fabrique) return { scope: "FABRIQUE", scopeId: filter.fabrique };
    if (filter.department) {
      if (!geography.department(filter.department)) {
        throw new MaillageError("BAD_USER_INPUT", `department: unknown code ${filter.department}`, {
          field: "department",
        });
      }
      return { scope: "DEPARTMENT", scopeId: filter.department };
    }
    if (filter.region) {
      if (!geography.region(filter.region)) {
        throw new MaillageError("BAD_USER_INPUT", `region: unknown code ${filter.region}`, {
          field: "region",
        });
      }
      return { scope: "REGION", scopeId: filter.region };
    }
    return { scope: "NATION", scopeId: "FR" };
  }

  function resolvePeriod(filter: HealthFilter): { from: string; to: string; days: number } {
    const checkDay = (field: "from" | "to", value: string) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
        throw new MaillageError("BAD_USER_INPUT", `${field}: a date YYYY-MM-DD`, { field });
      }
      return value;
    };
    const to = checkDay("to", filter.to ?? isoDay(new Date()));
    const from = checkDay("from", filter.from ?? shiftDays(to, -29));
    const days = Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS) + 1;
    if (days < 1)
      throw new MaillageError("BAD_USER_INPUT", "from: must not be after to", { field: "from" });
    if (days > MAX_RANGE_DAYS) {
      throw new MaillageError("BAD_USER_INPUT", `a period of at most ${MAX_RANGE_DAYS} days`, {
        field: "from",
      });
    }
    return { from, to, days };
  }

  /**
   * The figures of a scope and period, section by section: each section is computed when first
   * asked for (a query that selects only `mobility` or `training` runs no coverage, liveness or
   * mutualisation statement) and each statement runs at most once per call, whichever sections
   * share it.
   */
  function networkHealth(viewer: Viewer, filter: HealthFilter) {
    const scope = resolveScope(viewer, filter);
    const { from, to, days } = resolvePeriod(filter);
    const previousTo = shiftDays(from, -1);
    const previousFrom = shiftDays(previousTo, -(days - 1));
    // Per-region figures only make sense when the scope spans regions' whole territory.
    const perRegion = scope.scope === "NATION" || scope.scope === "REGION";

    const coverageRows = once(() => repo.coverageByDepartment(store, scope, from, to));
    const regionCodes = once(async () => [
      ...new Set((await coverageRows()).map((r) => r.region_code)),
    ]);
    const resourceRows = once(() => repo.resourceCounts(store, scope));
    const trainingRows = once(() =>
      repo.trainingTotalsByTopic(store, scope, previousFrom, from, to),
    );

    const sum = (rows: repo.SpaceCountRow[], key: keyof repo.SpaceCountRow) =>
      rows.reduce((n, r) => n + Number(r[key]), 0);
    const coverageOf = (rows: repo.SpaceCountRow[]) => {
      const spaces = sum(rows, "fabriques") + sum(rows, "satellites");
      return {
        fabriques: sum(rows, "fabriques"),
        satellites: sum(rows, "satellites"),
        spaces,
        activeSpaces: sum(rows, "active"),
        silentSpaces: sum(rows, "silent"),
        communesCovered: sum(rows, "communes"),
        ruralSpaces: sum(rows, "rural"),
        ruralShare: spaces === 0 ? 0 : Math.round((sum(rows, "rural") / spaces) * 1000) / 1000,
      };
    };

    const isShared = (r: repo.ResourceCountRow) => r.sharing_scope !== "LOCAL";
    const resourcesIn = (rows: repo.ResourceCountRow[]) =>
      rows.reduce((n, r) => n + r.resources, 0);
    const weeklyOpenMinutes = (rows: repo.ResourceCountRow[]) =>
      rows
        .filter((r) => r.status === "AVAILABLE")
        .reduce((n, r) => n + Number(r.weekly_open_minutes), 0);

    const regionMutualisation = (
      totals: repo.BookingTotals | undefined,
      rows: repo.ResourceCountRow[],
    ) => {
      const f = bookingFigures(
        totals ?? { bookings: 0, bookedMinutes: 0, crossNode: 0, loans: 0 },
        weeklyOpenMinutes(rows),
        days,
      );
      return {
        sharedResources: resourcesIn(rows.filter(isShared)),
        bookings: f.bookings,
        bookedHours: f.bookedHours,
        crossNodeBookings: f.crossNodeBookings,
        loans: f.loans,
        utilisation: f.utilisation,
      };
    };

    const liveness = once(async () => {
      const nodes = await repo.nodesIn(store, scope);
      const now = Date.now();
      const nodeStates = nodes.map((n) => ({
        nodeId: n.node_id,
        fabriqueId: n.fabrique_id,
        fabriqueName: n.fabrique_name,
        liveness: livenessOf(n.last_seen_at, now) as Liveness,
        lastSeenAt: n.last_seen_at,
        pending: n.pending_estimate,
        lagSeconds:
          n.pending_estimate > 0 && n.oldest_pending_at
            ? Math.max(0, Math.round((now - n.oldest_pending_at.getTime()) / 1000))
            : 0,
      }));
      const count = (l: Liveness) => nodeStates.filter((n) => n.liveness === l).length;
      return {
        online: count("ONLINE"),
        stale: count("STALE"),
        silent: count("SILENT"),
        worstLags: [...nodeStates]
          .sort(
            (a, b) =>
              b.lagSeconds - a.lagSeconds ||
              (a.lastSeenAt?.getTime() ?? 0) - (b.lastSeenAt?.getTime() ?? 0),
          )
          .slice(0, WORST_LAGS),
      };
    });

    const activity = once(async () => {
      const { current, previous } = await repo.activityTotals(store, scope, previousFrom, from, to);
      return {
        ...current,
        previous,
        visitorsTrend: trend(current.visitors, previous.visitors),
        eventsTrend: trend(current.events, previous.events),
        participantsTrend: trend(current.participants, previous.participants),
        openHoursTrend: trend(current.openHours, previous.openHours),
      };
    });

    const mutualisation = once(async () => {
      const [{ current: bookings, previous: previousBookings }, resources] = await Promise.all([
        repo.bookingTotals(store, scope, previousFrom, from, to),
        resourceRows(),
      ]);
      const figures = bookingFigures(bookings, weeklyOpenMinutes(resources), days);
      const previousFigures = bookingFigures(previousBookings, weeklyOpenMinutes(resources), days);
      return {
        resources: resourcesIn(resources),
        sharedResources: resourcesIn(resources.filter(isShared)),
        availableResources: resourcesIn(resources.filter((r) => r.status === "AVAILABLE")),
        resourcesBySharingScope: SHARING_SCOPES.map((sharingScope) => ({
          sharingScope,
          resources: resourcesIn(resources.filter((r) => r.sharing_scope === sharingScope)),
        })),
        resourcesByCategory: RESOURCE_CATEGORIES.map((category) => {
          const rows = resources.filter((r) => r.category === category);
          return {
            category,
            resources: resourcesIn(rows),
            sharedResources: resourcesIn(rows.filter(isShared)),
          };
        }),
        ...figures,
        previous: previousFigures,
        bookingsTrend: trend(figures.bookings, previousFigures.bookings),
        bookedHoursTrend: trend(figures.bookedHours, previousFigures.bookedHours),
        crossNodeBookingsTrend: trend(figures.crossNodeBookings, previousFigures.crossNodeBookings),
        loansTrend: trend(figures.loans, previousFigures.loans),
        utilisationTrend: trend(figures.utilisation ?? 0, previousFigures.utilisation ?? 0),
      };
    });

    const training = once(async () => {
      const rows = await trainingRows();
      const now = trainingFigures(rows.current);
      const before = trainingFigures(rows.previous);
      return {
        ...now,
        previous: before,
        byTopic: TRAINING_TOPICS.map((topic) => ({
          topic,
          ...trainingFigures(rows.byTopic.get(topic) ?? repo.NO_TRAININGS),
        })),
        trainingsTrend: trend(now.trainings, before.trainings),
        seatsFilledTrend: trend(now.seatsFilled, before.seatsFilled),
        hoursDeliveredTrend: trend(now.hoursDelivered, before.hoursDelivered),
        credentialsIssuedTrend: trend(now.credentialsIssued, before.credentialsIssued),
        attendanceRateTrend: trend(now.attendanceRate ?? 0, before.attendanceRate ?? 0),
      };
    });

    const regionTrainings = once(async () =>
      perRegion
        ? repo.trainingsBy(store, "REGION", await regionCodes(), from, to)
        : new Map<string, repo.TrainingTotals>(),
    );

    const regions = once(async () => {
      const [rows, codes, resources] = await Promise.all([
        coverageRows(),
        regionCodes(),
        perRegion ? resourceRows() : Promise.resolve([]),
      ]);
      const [regionActivity, regionBookings] = perRegion
        ? await Promise.all([
            repo.activityBy(store, "REGION", codes, from, to),
            repo.bookingsBy(store, "REGION", codes, from, to),
          ])
        : [new Map<string, repo.Totals>(), new Map<string, repo.BookingTotals>()];
      return codes.map((code) => {
        const inRegion = rows.filter((r) => r.region_code === code);
        const figures = regionActivity.get(code);
        return {
          code,
          name: geography.region(code)?.name ?? code,
          ...coverageOf(inRegion),
          visitors: figures?.visitors ?? 0,
          events: figures?.events ?? 0,
          participants: figures?.participants ?? 0,
          openHours: figures?.openHours ?? 0,
          ...regionMutualisation(
            regionBookings.get(code),
            resources.filter((r) => r.region_code === code),
          ),
          /** Read when first asked for (one statement for every region). */
          training: async () =>
            trainingFigures((await regionTrainings()).get(code) ?? repo.NO_TRAININGS),
          departments: inRegion.map((r) => ({
            code: r.department_code,
            name: geography.department(r.department_code)?.name ?? r.department_code,
            ...coverageOf([r]),
          })),
        };
      });
    });

    return {
      scope,
      from,
      to,
      coverage: once(async () => coverageOf(await coverageRows())),
      liveness,
      activity,
      mutualisation,
      training,
      regions,
    };
  }

  return { networkHealth };
}
