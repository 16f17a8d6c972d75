import type { Geography } from "@maillage/schema";
import type { SqlStore } from "@maillage/storage";
import type { Scope } from "../health/health.repository.ts";
import * as repo from "./mobility-health.repository.ts";
import type { FlowLevel } from "./mobility-rollup.repository.ts";
import { type CellFigures, type Line, type Shown, shown, suppress } from "./suppression.ts";

/**
 * The mobility section of networkHealth (issue 11), from the monthly mobility rollup alone
 * (mobility-rollup.repository.ts; a handful of statements by primary key, whatever the number
 * of visits). Distinct members are counted per calendar month, so the section is monthly: its
 * figures are those of the month of the period's last day (`to`), compared with the month
 * before (trends), with a series of every month from the period's first day's.
 *
 * For a scope (the nation, a region, a department, a fabrique territory): `outgoing` = visits
 * away from home by members homed in the scope, and those members (members using more than one
 * place); `incoming` = visits received by the scope's places from members away from home.
 * `flows`: the origin → destination matrix between fabrique territories (the home place's
 * territory → the visited place's), every non-empty cell with a territory of the scope on
 * either side, with each scope territory's totals (at the nation: the territories' totals
 * and the region → region matrix; a region's scope gives its territories' flows); at the
 * national or a region's scope, per-region rows and region → region flows. Lists come largest
 * first (suppressed cells last); the API pages them (`first`), the suppression is decided on
 * every cell. Cells under 5 distinct members are suppressed,
 * and so are second cells where a line would let one be recomputed (suppression.ts).
 */

export type MobilityService = ReturnType<typeof createMobilityHealthService>;

type Flow = Shown & { origin: string; destination: string };

function monthOf(day: string): string {
  return day.slice(0, 7);
}

function addMonths(month: string, n: number): string {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 + n, 1));
  return d.toISOString().slice(0, 7);
}

const firstDay = (month: string) => `${month}-01`;

function trend(current: Shown, previous: Shown, key: "visits" | "members"): number | null {
  const now = current[key];
  const before = previous[key];
  if (now === null || before === null || before === 0) return null;
  return Math.round(((now - before) / before) * 1000) / 10;
}

const levelOf: Record<Scope["scope"], FlowLevel> = {
  NATION: "ALL",
  REGION: "REGION",
  DEPARTMENT: "DEPARTMENT",
  FABRIQUE: "NETWORK",
};

/** Shown cells by visits, largest first, then the suppressed ones; ties by id. */
function largestFirst<T extends Shown>(id: (row: T) => string) {
  return (x: T, y: T) =>
    Number(x.suppressed) - Number(y.suppressed) ||
    (y.visits ?? 0) - (x.visits ?? 0) ||
    (id(x) < id(y) ? -1 : id(x) > id(y) ? 1 : 0);
}

export const flowKey = (ol: string, oi: string, dl: string, di: string) =>
  `${ol}|${oi}|${dl}|${di}`;

export function createMobilityHealthService(deps: { store: SqlStore; geography: Geography }) {
  const { store, geography } = deps;

  async function mobility(scope: Scope, from: string, to: string) {
    const month = monthOf(to);
    const previousMonth = addMonths(month, -1);
    const firstMonth = monthOf(from) < previousMonth ? monthOf(from) : previousMonth;
    const level = levelOf[scope.scope];
    const id = scope.scope === "NATION" ? "FR" : scope.scopeId;
    const networks =
      scope.scope === "NATION" ? null : await repo.networksIn(store, level as "NETWORK", id);
    const regions = scope.scope === "NATION" ? null : scope.scope === "REGION" ? [id] : [];
    const [series, rows] = await Promise.all([
      repo.scopeSeries(store, level, id, firstDay(firstMonth), firstDay(month)),
      repo.monthFlows(store, firstDay(month), networks, regions),
    ]);

    // Month M: every cell shown, and the lines they add up along.
    const cells = new Map<string, CellFigures>();
    for (const r of [...rows, ...series.filter((s) => s.month === month)]) {
      cells.set(flowKey(r.origin_level, r.origin_id, r.dest_level, r.dest_id), r);
    }
    const inScope = (network: string) => networks === null || networks.includes(network);
    const pairs = rows.filter((r) => r.origin_level === "NETWORK" && r.dest_level === "NETWORK");
    const regionPairs = rows.filter(
      (r) => r.origin_level === "REGION" && r.dest_level === "REGION",
    );
    const totalsOf = (side: "origin" | "dest") =>
      rows
        .filter((r) =>
          side === "origin"
            ? r.origin_level === "NETWORK" && r.dest_level === "ALL"
            : r.origin_level === "ALL" && r.dest_level === "NETWORK",
        )
        .map((r) => (side === "origin" ? r.origin_id : r.dest_id))
        .filter(inScope)
        .sort();
    const origins = totalsOf("origin");
    const destinations = totalsOf("dest");
    const regionCodes =
      regions ??
      [
        ...new Set(
          rows.flatMap((r) => [
            ...(r.origin_level === "REGION" ? [r.origin_id] : []),
            ...(r.dest_level === "REGION" ? [r.dest_id] : []),
          ]),
        ),
      ].sort();
    const out = (level: FlowLevel, id: string) => flowKey(level, id, "ALL", "FR");
    const into = (level: FlowLevel, id: string) => flowKey("ALL", "FR", level, id);
    const lines: Line[] = [];
    for (const o of origins) {
      lines.push({
        parts: pairs
          .filter((r) => r.origin_id === o)
          .map((r) => flowKey("NETWORK", o, "NETWORK", r.dest_id)),
        total: out("NETWORK", o),
      });
    }
    for (const d of destinations) {
      lines.push({
        parts: pairs
          .filter((r) => r.dest_id === d)
          .map((r) => flowKey("NETWORK", r.origin_id, "NETWORK", d)),
        total: into("NETWORK", d),
      });
    }
    // The scope's territories add up to the scope; at the nation, to their regions too.
    lines.push({ parts: origins.map((o) => out("NETWORK", o)), total: out(level, id) });
    lines.push({ parts: destinations.map((d) => into("NETWORK", d)), total: into(level, id) });
    const territories = await repo.territoriesOf(store, [
      ...new Set([...origins, ...destinations, ...pairs.flatMap((r) => [r.origin_id, r.dest_id])]),
    ]);
    const regionOfNetwork = new Map([...territories].map(([k, v]) => [k, v.region]));
    for (const code of regionCodes) {
      lines.push({
        parts: regionPairs
          .filter((r) => r.origin_id === code)
          .map((r) => flowKey("REGION", code, "REGION", r.dest_id)),
        total: out("REGION", code),
      });
      lines.push({
        parts: regionPairs
          .filter((r) => r.dest_id === code)
          .map((r) => flowKey("REGION", r.origin_id, "REGION", code)),
        total: into("REGION", code),
      });
      if (scope.scope === "NATION" || scope.scope === "REGION") {
        lines.push({
          parts: origins
            .filter((o) => regionOfNetwork.get(o) === code)
            .map((o) => out("NETWORK", o)),
          total: out("REGION", code),
        });
        lines.push({
          parts: destinations
            .filter((d) => regionOfNetwork.get(d) === code)
            .map((d) => into("NETWORK", d)),
          total: into("REGION", code),
        });
      }
    }
    if (scope.scope === "NATION") {
      lines.push({ parts: regionCodes.map((c) => out("REGION", c)), total: out("ALL", "FR") });
      lines.push({ parts: regionCodes.map((c) => into("REGION", c)), total: into("ALL", "FR") });
    }
    const hidden = suppress(cells, lines);
    const show = (key: string) => shown(cells.get(key), hidden.has(key));

    // Other months: their scope totals only, each on its own (primary suppression).
    const seriesCells = new Map(
      series.map((r) => [
        `${r.month}|${flowKey(r.origin_level, r.origin_id, r.dest_level, r.dest_id)}`,
        r,
      ]),
    );
    const monthFigures = (m: string) => {
      if (m === month) return { outgoing: show(out(level, id)), incoming: show(into(level, id)) };
      const cell = (key: string) => {
        const c = seriesCells.get(`${m}|${key}`);
        return shown(c, c !== undefined && suppress(new Map([[key, c]]), []).size > 0);
      };
      return { outgoing: cell(out(level, id)), incoming: cell(into(level, id)) };
    };
    const months: string[] = [];
    for (let m = monthOf(from) < month ? monthOf(from) : month; m <= month; m = addMonths(m, 1)) {
      months.push(m);
    }

    const territory = (network: string) => ({
      id: network,
      name: territories.get(network)?.name ?? network,
    });
    const regionName = (code: string) => geography.region(code)?.name ?? code;
    const current = monthFigures(month);
    const previous = monthFigures(previousMonth);
    const flows: Flow[] = pairs
      .map((r) => ({
        origin: r.origin_id,
        destination: r.dest_id,
        ...show(flowKey("NETWORK", r.origin_id, "NETWORK", r.dest_id)),
      }))
      .sort(largestFirst((f) => f.origin + f.destination));
    return {
      month,
      previousMonth,
      ...current,
      previous,
      outgoingVisitsTrend: trend(current.outgoing, previous.outgoing, "visits"),
      outgoingMembersTrend: trend(current.outgoing, previous.outgoing, "members"),
      incomingVisitsTrend: trend(current.incoming, previous.incoming, "visits"),
      months: months.map((m) => ({ month: m, ...monthFigures(m) })),
      flows: flows.map((f) => ({
        ...f,
        origin: territory(f.origin),
        destination: territory(f.destination),
      })),
      origins: origins.map((o) => ({ territory: territory(o), ...show(out("NETWORK", o)) })),
      destinations: destinations.map((d) => ({
        territory: territory(d),
        ...show(into("NETWORK", d)),
      })),
      regions:
        scope.scope === "NATION" || scope.scope === "REGION"
          ? regionCodes.map((code) => ({
              code,
              name: regionName(code),
              outgoing: show(out("REGION", code)),
              incoming: show(into("REGION", code)),
            }))
          : [],
      regionFlows: regionPairs
        .map((r) => ({
          origin: { code: r.origin_id, name: regionName(r.origin_id) },
          destination: { code: r.dest_id, name: regionName(r.dest_id) },
          ...show(flowKey("REGION", r.origin_id, "REGION", r.dest_id)),
        }))
        .sort((x, y) =>
          x.origin.code + x.destination.code < y.origin.code + y.destination.code ? -1 : 1,
        ),
    };
  }

  return { mobility };
}
