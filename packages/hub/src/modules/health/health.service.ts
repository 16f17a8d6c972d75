import { type Geography, MaillageError } from "@maillage/schema";
import type { SqlStore } from "@maillage/storage";
import type { Viewer } from "../../context.ts";
import { type Liveness, livenessOf } from "../nodes/liveness.ts";
import * as repo from "./health.repository.ts";

/**
 * Network health for the national body (and a fabrique's team, for its own territory):
 * coverage from the registry, liveness from the nodes, activity from the rollups.
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

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function shiftDays(day: string, days: number): string {
  return isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));
}

function trend(current: number, previous: number): number | null {
  return previous === 0 ? null : Math.round(((current - previous) / previous) * 1000) / 10;
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

  async function networkHealth(viewer: Viewer, filter: HealthFilter) {
    const scope = resolveScope(viewer, filter);
    const { from, to, days } = resolvePeriod(filter);
    const previousTo = shiftDays(from, -1);
    const previousFrom = shiftDays(previousTo, -(days - 1));

    const [coverageRows, current, previous, nodes] = await Promise.all([
      repo.coverageByDepartment(store, scope, from, to),
      repo.activityTotals(store, scope, from, to),
      repo.activityTotals(store, scope, previousFrom, previousTo),
      repo.nodesIn(store, scope),
    ]);
    const regionCodes = [...new Set(coverageRows.map((r) => r.region_code))];
    // Per-region activity only makes sense when the scope spans regions' whole territory.
    const regionActivity =
      scope.scope === "NATION" || scope.scope === "REGION"
        ? await repo.activityBy(store, "REGION", regionCodes, from, to)
        : new Map<string, repo.Totals>();

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
      scope,
      from,
      to,
      coverage: coverageOf(coverageRows),
      liveness: {
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
      },
      activity: {
        ...current,
        previous,
        visitorsTrend: trend(current.visitors, previous.visitors),
        eventsTrend: trend(current.events, previous.events),
        participantsTrend: trend(current.participants, previous.participants),
        openHoursTrend: trend(current.openHours, previous.openHours),
      },
      regions: regionCodes.map((code) => {
        const rows = coverageRows.filter((r) => r.region_code === code);
        const activity = regionActivity.get(code);
        return {
          code,
          name: geography.region(code)?.name ?? code,
          ...coverageOf(rows),
          visitors: activity?.visitors ?? 0,
          events: activity?.events ?? 0,
          participants: activity?.participants ?? 0,
          openHours: activity?.openHours ?? 0,
          departments: rows.map((r) => ({
            code: r.department_code,
            name: geography.department(r.department_code)?.name ?? r.department_code,
            ...coverageOf([r]),
          })),
        };
      }),
    };
  }

  return { networkHealth };
}
