import { addDays } from "../ui/paris-date.ts";
import type { NetworkEvent } from "./live.ts";

/** A drill-down level: the whole view (no field), a region, a department or a fabrique's territory. */
export interface Scope {
  region?: string;
  department?: string;
  fabriqueId?: string;
}

/** Whether a live event concerns a scope. */
export function inScope(event: NetworkEvent, scope: Scope): boolean {
  if (scope.fabriqueId) return event.fabriqueId === scope.fabriqueId;
  if (scope.department) return event.departmentCode === scope.department;
  if (scope.region) return event.regionCode === scope.region;
  return true;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** The last 12 calendar months up to today (Paris), oldest first: {month, from, to}. */
export function lastMonths(
  today: string,
  count = 12,
): { month: string; from: string; to: string }[] {
  const [y, m] = today.split("-").map(Number) as [number, number];
  const out: { month: string; from: string; to: string }[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const date = new Date(Date.UTC(y, m - 1 - i, 1));
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth() + 1;
    const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
    const key = `${year}-${pad(month)}`;
    out.push({ month: key, from: `${key}-01`, to: i === 0 ? today : `${key}-${pad(last)}` });
  }
  return out;
}

/** The Trends query's variables: m0 … m11, each the scope over one month. */
export function trendVariables(scope: Scope, today: string) {
  const months = lastMonths(today, 12);
  const vars: Record<string, Scope & { from: string; to: string }> = {};
  months.forEach((m, i) => {
    vars[`m${i}`] = { ...scope, from: m.from, to: m.to };
  });
  return vars;
}

/** The periods the figures can cover; the API's default is the last 30 days. */
export const PERIODS = ["30d", "month", "lastMonth", "90d", "365d"] as const;
export type PeriodId = (typeof PERIODS)[number];

/** A period's first and last day (YYYY-MM-DD, Paris) for networkHealth's filter. */
export function periodRange(id: PeriodId, today: string): { from: string; to: string } {
  switch (id) {
    case "month":
      return { from: `${today.slice(0, 7)}-01`, to: today };
    case "lastMonth": {
      const last = addDays(`${today.slice(0, 7)}-01`, -1);
      return { from: `${last.slice(0, 7)}-01`, to: last };
    }
    case "90d":
      return { from: addDays(today, -89), to: today };
    case "365d":
      return { from: addDays(today, -364), to: today };
    default:
      return { from: addDays(today, -29), to: today };
  }
}
