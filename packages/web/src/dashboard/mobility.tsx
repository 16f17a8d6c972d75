import { useEffect } from "preact/hooks";
import { markReady } from "../app/status.ts";
import type { ResultOf } from "../client/hub-graphql.ts";
import { formatNumber, t } from "../i18n/i18n.ts";
import { Chart, LOCALE_TIP, Plot } from "../ui/chart.tsx";
import { type Column, DataTable } from "../ui/data-table.tsx";
import { formatCount, formatMonth } from "../ui/format.ts";
import { Loading } from "../ui/loading.tsx";
import { Breadcrumb, FigureCard } from "./parts.tsx";
import { MobilityQuery } from "./queries.ts";
import { QueryError } from "./query-error.tsx";
import { useQuery } from "./use-query.ts";

type Mobility = NonNullable<ResultOf<typeof MobilityQuery>["networkHealth"]>["mobility"];
type Cell = { visits: number | null; members: number | null; suppressed: boolean };
type MonthRow = Mobility["months"][number];
type RegionRow = Mobility["regions"][number];
type RegionFlow = Mobility["regionFlows"][number];
type Flow = Mobility["flows"][number];

const shown = (cell: Cell, key: "visits" | "members") => (cell.suppressed ? null : cell[key]);
const cellText = (cell: Cell, key: "visits" | "members") =>
  cell.suppressed ? t("dashboard.suppressed") : formatCount(cell[key]);

/** Member mobility: visits away from home, members using several places, flows (small cells hidden). */
export default function MobilityPage() {
  const { data, error, refetch } = useQuery(
    MobilityQuery,
    { filter: {} },
    { refreshOn: (e) => e.kind === "MOBILITY", debounceMs: 1000 },
  );
  const mobility = data?.networkHealth?.mobility;
  useEffect(() => {
    if (mobility) markReady();
  }, [mobility]);

  const cellColumns = <T,>(pick: (r: T) => Cell, prefix: string): Column<T>[] => [
    {
      key: `${prefix}visits`,
      label: t("dashboard.visits"),
      value: (r) => shown(pick(r), "visits"),
      render: (r) => cellText(pick(r), "visits"),
      numeric: true,
    },
    {
      key: `${prefix}members`,
      label: t("dashboard.members"),
      value: (r) => shown(pick(r), "members"),
      render: (r) => cellText(pick(r), "members"),
      numeric: true,
    },
  ];

  return (
    <div class="page">
      <Breadcrumb
        crumbs={[{ label: t("dashboard.france"), to: "/" }, { label: t("dashboard.mobility") }]}
      />
      <h1>{t("dashboard.mobilityTitle")}</h1>
      <p class="hint">{t("dashboard.mobilityExplained")}</p>
      <QueryError error={error} stale={Boolean(data)} retry={refetch} />
      {!mobility ? (
        !error && <Loading />
      ) : (
        <>
          <div class="grid">
            <FigureCard
              title={t("dashboard.mobilityMonth", { month: formatMonth(mobility.month) })}
              figures={[
                {
                  id: "mobility.outgoingVisits",
                  label: t("dashboard.outgoingVisitsShort"),
                  value: cellText(mobility.outgoing, "visits"),
                  trend: mobility.outgoingVisitsTrend,
                },
                {
                  id: "mobility.outgoingMembers",
                  label: t("dashboard.outgoingMembers"),
                  value: cellText(mobility.outgoing, "members"),
                  trend: mobility.outgoingMembersTrend,
                },
                {
                  id: "mobility.incomingVisits",
                  label: t("dashboard.incomingVisits"),
                  value: cellText(mobility.incoming, "visits"),
                  trend: mobility.incomingVisitsTrend,
                },
              ]}
            />
          </div>
          <section aria-labelledby="mobility-months-h">
            <h2 id="mobility-months-h">{t("dashboard.mobilityMonths")}</h2>
            <Chart
              label={t("dashboard.chartMobility")}
              plot={() => {
                const rows = mobility.months.flatMap((m) => [
                  {
                    label: formatMonth(m.month),
                    series: t("dashboard.outgoingVisitsShort"),
                    value: shown(m.outgoing, "visits"),
                  },
                  {
                    label: formatMonth(m.month),
                    series: t("dashboard.outgoingMembers"),
                    value: shown(m.outgoing, "members"),
                  },
                ]);
                return {
                  height: 240,
                  marginLeft: 48,
                  x: { domain: mobility.months.map((m) => formatMonth(m.month)), label: null },
                  y: { grid: true, label: null, tickFormat: (v: number) => formatNumber(v) },
                  color: { legend: true, range: ["#1d4ed8", "#b45309"] },
                  marks: [
                    Plot.barY(rows, {
                      x: "label",
                      y: "value",
                      fill: "series",
                      fx: undefined,
                      tip: LOCALE_TIP,
                    }),
                    Plot.ruleY([0]),
                  ],
                };
              }}
              table={{
                columns: [
                  {
                    key: "month",
                    label: t("dashboard.month"),
                    value: (m: MonthRow) => m.month,
                    render: (m: MonthRow) => formatMonth(m.month),
                  },
                  ...cellColumns<MonthRow>((m) => m.outgoing, "out-"),
                  ...cellColumns<MonthRow>((m) => m.incoming, "in-").map((c) => ({
                    ...c,
                    label: `${c.label} (${t("dashboard.incoming")})`,
                  })),
                ],
                rows: mobility.months,
                csvName: "mobilite-par-mois",
                rowKey: (m: MonthRow) => m.month,
              }}
            />
          </section>
          <section aria-labelledby="mobility-regions-h">
            <h2 id="mobility-regions-h">{t("dashboard.mobilityRegions")}</h2>
            <DataTable
              caption={t("dashboard.mobilityRegionsTable")}
              columns={[
                { key: "name", label: t("dashboard.region"), value: (r: RegionRow) => r.name },
                ...cellColumns<RegionRow>((r) => r.outgoing, "out-").map((c) => ({
                  ...c,
                  label: `${c.label} (${t("dashboard.outgoing")})`,
                })),
                ...cellColumns<RegionRow>((r) => r.incoming, "in-").map((c) => ({
                  ...c,
                  label: `${c.label} (${t("dashboard.incoming")})`,
                })),
              ]}
              rows={mobility.regions}
              csvName="mobilite-regions"
              rowKey={(r) => r.code}
            />
            <DataTable
              caption={t("dashboard.regionFlowsTable")}
              columns={[
                {
                  key: "origin",
                  label: t("dashboard.origin"),
                  value: (f: RegionFlow) => f.origin.name,
                },
                {
                  key: "destination",
                  label: t("dashboard.destination"),
                  value: (f: RegionFlow) => f.destination.name,
                },
                ...cellColumns<RegionFlow>((f) => f, ""),
              ]}
              rows={mobility.regionFlows}
              csvName="flux-regions"
            />
          </section>
          <section aria-labelledby="mobility-flows-h">
            <h2 id="mobility-flows-h">{t("dashboard.flows")}</h2>
            <p class="hint">{t("dashboard.flowsExplained", { count: mobility.flowCount })}</p>
            <DataTable
              caption={t("dashboard.flowsTable")}
              columns={[
                { key: "origin", label: t("dashboard.origin"), value: (f: Flow) => f.origin.name },
                {
                  key: "destination",
                  label: t("dashboard.destination"),
                  value: (f: Flow) => f.destination.name,
                },
                ...cellColumns<Flow>((f) => f, ""),
              ]}
              rows={mobility.flows}
              csvName="flux-territoires"
            />
          </section>
        </>
      )}
    </div>
  );
}
