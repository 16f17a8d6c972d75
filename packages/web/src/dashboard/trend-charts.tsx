import { useMemo } from "preact/hooks";
import type { ResultOf } from "../client/hub-graphql.ts";
import { formatNumber, t } from "../i18n/i18n.ts";
import { Chart, LOCALE_TIP, Plot } from "../ui/chart.tsx";
import type { Column } from "../ui/data-table.tsx";
import { formatMonth } from "../ui/format.ts";
import { Loading } from "../ui/loading.tsx";
import { todayInParis } from "../ui/paris-date.ts";
import { TrendsQuery } from "./queries.ts";
import { QueryError } from "./query-error.tsx";
import { inScope, lastMonths, type Scope, trendVariables } from "./scope.ts";
import { useQuery } from "./use-query.ts";

type Month = NonNullable<ResultOf<typeof TrendsQuery>["m0"]>;

export interface MonthRow {
  month: string;
  label: string;
  visitors: number;
  events: number;
  participants: number;
  openHours: number;
  seatsOffered: number;
  seatsFilled: number;
  hoursDelivered: number;
  credentialsIssued: number;
  bookings: number;
  crossNodeBookings: number;
  loans: number;
  bookedHours: number;
}

function rowOf(month: string, m: Month): MonthRow {
  return {
    month,
    label: formatMonth(month),
    visitors: m.activity.visitors,
    events: m.activity.events,
    participants: m.activity.participants,
    openHours: m.activity.openHours,
    seatsOffered: m.training.seatsOffered,
    seatsFilled: m.training.seatsFilled,
    hoursDelivered: m.training.hoursDelivered,
    credentialsIssued: m.training.credentialsIssued,
    bookings: m.mutualisation.bookings,
    crossNodeBookings: m.mutualisation.crossNodeBookings,
    loans: m.mutualisation.loans,
    bookedHours: m.mutualisation.bookedHours,
  };
}

const COLORS = ["#1d4ed8", "#b45309", "#166534"];

/** A month's figure (every MonthRow field but the month itself), named dashboard.<figure>. */
type Figure = Exclude<keyof MonthRow, "month" | "label">;
const figureName = (key: Figure) => t(`dashboard.${key}`);

/** Twelve months of activity, mutualisation and training of a scope, as three charts with tables. */
export function TrendCharts({ scope }: { scope: Scope }) {
  const today = todayInParis();
  const variables = useMemo(() => trendVariables(scope, today), [JSON.stringify(scope), today]);
  const { data, error, refetch } = useQuery(TrendsQuery, variables, {
    refreshOn: (e) => e.kind === "ACTIVITY" && inScope(e, scope),
    debounceMs: 1500,
  });
  const rows = useMemo(() => {
    if (!data) return [];
    const months = lastMonths(today, 12);
    return months.flatMap((m, i) => {
      const figures = (data as Record<string, Month | null | undefined>)[`m${i}`];
      return figures ? [rowOf(m.month, figures)] : [];
    });
  }, [data, today]);

  const monthColumn: Column<MonthRow> = {
    key: "month",
    label: t("dashboard.month"),
    value: (r) => r.month,
    render: (r) => r.label,
  };
  /** The chart's table: the month, then one numeric column per figure; its CSV named csvName. */
  const monthTable = (figures: readonly Figure[], csvName: string) => ({
    columns: [
      monthColumn,
      ...figures.map(
        (key): Column<MonthRow> => ({
          key,
          label: figureName(key),
          value: (r) => r[key],
          numeric: true,
        }),
      ),
    ],
    rows,
    csvName,
    rowKey: (r: MonthRow) => r.month,
  });
  const labels = rows.map((r) => r.label);
  /** A line per figure over the months, with a legend (the figures' names in words). */
  const lineChart =
    (keys: readonly Figure[]) =>
    (width: number): Plot.PlotOptions => {
      const names = keys.map(figureName);
      return {
        height: 260,
        marginLeft: 48,
        marginBottom: width < 900 ? 56 : 30,
        x: { type: "point", domain: labels, label: null, tickRotate: width < 900 ? -40 : 0 },
        y: { grid: true, label: null, tickFormat: (v: number) => formatNumber(v) },
        color: { legend: true, domain: names, range: COLORS },
        marks: [
          Plot.lineY(
            rows.flatMap((r) =>
              keys.map((key, i) => ({ label: r.label, series: names[i], value: r[key] })),
            ),
            { x: "label", y: "value", stroke: "series", marker: true, tip: LOCALE_TIP },
          ),
          Plot.ruleY([0]),
        ],
      };
    };

  return (
    <section aria-labelledby="trends-h">
      <h2 id="trends-h">{t("dashboard.trends")}</h2>
      <QueryError error={error} stale={Boolean(data)} retry={refetch} />
      {!data && !error ? <Loading /> : null}
      {rows.length > 0 ? (
        <div class="charts">
          <Chart
            label={t("dashboard.chartVisitors")}
            plot={(width) => ({
              height: 260,
              marginLeft: 56,
              marginBottom: width < 900 ? 56 : 30,
              x: { domain: labels, label: null, tickRotate: width < 900 ? -40 : 0 },
              y: {
                grid: true,
                label: t("dashboard.visitors"),
                tickFormat: (v: number) => formatNumber(v),
              },
              marks: [
                Plot.barY(rows, { x: "label", y: "visitors", fill: COLORS[0], tip: LOCALE_TIP }),
                Plot.ruleY([0]),
              ],
            })}
            table={monthTable(
              ["visitors", "events", "participants", "openHours"],
              "activite-par-mois",
            )}
          />
          <Chart
            label={t("dashboard.chartMutualisation")}
            plot={lineChart(["bookings", "crossNodeBookings", "loans"])}
            table={monthTable(
              ["bookings", "crossNodeBookings", "loans", "bookedHours"],
              "mutualisation-par-mois",
            )}
          />
          <Chart
            label={t("dashboard.chartTraining")}
            plot={lineChart(["seatsOffered", "seatsFilled"])}
            table={monthTable(
              ["seatsOffered", "seatsFilled", "hoursDelivered", "credentialsIssued"],
              "formation-par-mois",
            )}
          />
        </div>
      ) : null}
    </section>
  );
}
