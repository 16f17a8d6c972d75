import { signal } from "@preact/signals";
import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import { Link } from "../app/router.ts";
import { markReady } from "../app/status.ts";
import type { ResultOf } from "../client/hub-graphql.ts";
import { type I18nKey, t } from "../i18n/i18n.ts";
import { type Column, DataTable } from "../ui/data-table.tsx";
import { SelectField } from "../ui/field.tsx";
import { formatCount, formatDate, formatMonth, formatPercent } from "../ui/format.ts";
import { topicLabel } from "../ui/labels.ts";
import { Loading } from "../ui/loading.tsx";
import { todayInParis } from "../ui/paris-date.ts";
import { nodeStateColumns } from "./labels.ts";
import { Breadcrumb, type Crumb, type Figure, FigureCard } from "./parts.tsx";
import { HealthQuery } from "./queries.ts";
import { QueryError } from "./query-error.tsx";
import { inScope, PERIODS, type PeriodId, periodRange, type Scope } from "./scope.ts";
import { TrendCharts } from "./trend-charts.tsx";
import { useQuery } from "./use-query.ts";

/** The period of the figures, kept while drilling down (not the trend charts: always 12 months). */
export const period = signal<PeriodId>("30d");

export type Health = NonNullable<ResultOf<typeof HealthQuery>["networkHealth"]>;
export type RegionHealth = Health["regions"][number];
export type DepartmentHealth = RegionHealth["departments"][number];

interface HealthPageProps {
  scope: Scope;
  /** The page's h1, once the figures are known (undefined before). */
  title: (health: Health | undefined) => string;
  crumbs: (health: Health | undefined) => readonly Crumb[];
  /** Sections after the figures and trends (map, lists of the level below, feed). */
  children?: (health: Health) => ComponentChildren;
  /** Sections between the figures and the trend charts. */
  beforeTrends?: (health: Health) => ComponentChildren;
}

/**
 * A drill-down level's page: its figures over the last 30 days with their trends, the trend
 * charts of 12 months, then its own sections. Refreshed live by the events of its scope.
 */
export function HealthPage({ scope, title, crumbs, children, beforeTrends }: HealthPageProps) {
  const range = periodRange(period.value, todayInParis());
  const { data, error, refetch } = useQuery(
    HealthQuery,
    { filter: { ...scope, ...range } },
    { refreshOn: (e) => inScope(e, scope) },
  );
  const health = data?.networkHealth ?? undefined;
  useEffect(() => {
    if (health) markReady();
  }, [health]);

  return (
    <div class="page">
      <Breadcrumb crumbs={crumbs(health)} />
      <h1>{title(health)}</h1>
      <div class="period-bar">
        <SelectField
          label={t("dashboard.periodLabel")}
          value={period.value}
          options={PERIODS.map((id) => ({ value: id, label: t(`dashboard.periodOption.${id}`) }))}
          onChange={(e) => {
            period.value = (e.currentTarget as HTMLSelectElement).value as PeriodId;
          }}
        />
        {health ? (
          <p class="period">
            {t("dashboard.period", { from: formatDate(health.from), to: formatDate(health.to) })}
          </p>
        ) : null}
      </div>
      <QueryError error={error} stale={Boolean(health)} retry={refetch} />
      {!health ? (
        <Loading failed={error} />
      ) : (
        <>
          <KeyFigures health={health} />
          {beforeTrends?.(health)}
          <TrendCharts scope={scope} />
          {children?.(health)}
        </>
      )}
    </div>
  );
}

const count = (n: number | null | undefined) => formatCount(n);
const hours = (n: number) => `${formatCount(n)} h`;

/** The six cards of figures (coverage, nodes, activity, training, mutualisation, mobility). */
export function KeyFigures({ health }: { health: Health }) {
  const {
    coverage: c,
    liveness: l,
    activity: a,
    training: tr,
    mutualisation: m,
    mobility: mo,
  } = health;
  const cards: { title: I18nKey; figures: Figure[] }[] = [
    {
      title: "dashboard.coverage",
      figures: [
        { id: "coverage.spaces", label: t("dashboard.spaces"), value: count(c.spaces) },
        { id: "coverage.fabriques", label: t("dashboard.fabriques"), value: count(c.fabriques) },
        { id: "coverage.satellites", label: t("dashboard.satellites"), value: count(c.satellites) },
        {
          id: "coverage.communesCovered",
          label: t("dashboard.communes"),
          value: count(c.communesCovered),
        },
        {
          id: "coverage.ruralShare",
          label: t("dashboard.ruralShare"),
          value: formatPercent(c.ruralShare),
        },
        {
          id: "coverage.activeSpaces",
          label: t("dashboard.activeSpaces"),
          value: count(c.activeSpaces),
        },
        {
          id: "coverage.silentSpaces",
          label: t("dashboard.silentSpaces"),
          value: count(c.silentSpaces),
        },
      ],
    },
    {
      title: "dashboard.liveness",
      figures: [
        { id: "liveness.online", label: t("dashboard.online"), value: count(l.online) },
        { id: "liveness.stale", label: t("dashboard.stale"), value: count(l.stale) },
        { id: "liveness.silent", label: t("dashboard.silent"), value: count(l.silent) },
      ],
    },
    {
      title: "dashboard.activity",
      figures: [
        {
          id: "activity.visitors",
          label: t("dashboard.visitors"),
          value: count(a.visitors),
          trend: a.visitorsTrend,
        },
        {
          id: "activity.events",
          label: t("dashboard.events"),
          value: count(a.events),
          trend: a.eventsTrend,
        },
        {
          id: "activity.participants",
          label: t("dashboard.participants"),
          value: count(a.participants),
          trend: a.participantsTrend,
        },
        {
          id: "activity.openHours",
          label: t("dashboard.openHours"),
          value: hours(a.openHours),
          trend: a.openHoursTrend,
        },
        { id: "activity.reports", label: t("dashboard.reports"), value: count(a.reports) },
      ],
    },
    {
      title: "dashboard.training",
      figures: [
        {
          id: "training.trainings",
          label: t("dashboard.trainings"),
          value: count(tr.trainings),
          trend: tr.trainingsTrend,
        },
        {
          id: "training.seatsOffered",
          label: t("dashboard.seatsOffered"),
          value: count(tr.seatsOffered),
        },
        {
          id: "training.seatsFilled",
          label: t("dashboard.seatsFilled"),
          value: count(tr.seatsFilled),
          trend: tr.seatsFilledTrend,
        },
        {
          id: "training.fillRate",
          label: t("dashboard.fillRate"),
          value: formatPercent(tr.fillRate),
        },
        {
          id: "training.hoursDelivered",
          label: t("dashboard.hoursDelivered"),
          value: hours(tr.hoursDelivered),
          trend: tr.hoursDeliveredTrend,
        },
        {
          id: "training.credentialsIssued",
          label: t("dashboard.credentialsIssued"),
          value: count(tr.credentialsIssued),
          trend: tr.credentialsIssuedTrend,
        },
        {
          id: "training.waitlisted",
          label: t("dashboard.waitlisted"),
          value: count(tr.waitlisted),
        },
        {
          id: "training.attendanceRate",
          label: t("dashboard.attendanceRate"),
          value: formatPercent(tr.attendanceRate),
          trend: tr.attendanceRateTrend,
        },
      ],
    },
    {
      title: "dashboard.mutualisation",
      figures: [
        {
          id: "mutualisation.resources",
          label: t("dashboard.resources"),
          value: count(m.resources),
        },
        {
          id: "mutualisation.sharedResources",
          label: t("dashboard.sharedResources"),
          value: count(m.sharedResources),
        },
        {
          id: "mutualisation.bookings",
          label: t("dashboard.bookings"),
          value: count(m.bookings),
          trend: m.bookingsTrend,
        },
        {
          id: "mutualisation.crossNodeBookings",
          label: t("dashboard.crossNodeBookings"),
          value: count(m.crossNodeBookings),
          trend: m.crossNodeBookingsTrend,
        },
        {
          id: "mutualisation.loans",
          label: t("dashboard.loans"),
          value: count(m.loans),
          trend: m.loansTrend,
        },
        {
          id: "mutualisation.bookedHours",
          label: t("dashboard.bookedHours"),
          value: hours(m.bookedHours),
          trend: m.bookedHoursTrend,
        },
        {
          id: "mutualisation.utilisation",
          label: t("dashboard.utilisation"),
          value: formatPercent(m.utilisation),
          trend: m.utilisationTrend,
        },
      ],
    },
    {
      title: "dashboard.mobility",
      figures: [
        {
          id: "mobility.outgoingVisits",
          label: t("dashboard.outgoingVisits", { month: formatMonth(mo.month) }),
          value: mo.outgoing.suppressed ? t("dashboard.suppressed") : count(mo.outgoing.visits),
          trend: mo.outgoingVisitsTrend,
        },
        {
          id: "mobility.outgoingMembers",
          label: t("dashboard.outgoingMembers"),
          value: mo.outgoing.suppressed ? t("dashboard.suppressed") : count(mo.outgoing.members),
          trend: mo.outgoingMembersTrend,
        },
        {
          id: "mobility.incomingVisits",
          label: t("dashboard.incomingVisits"),
          value: mo.incoming.suppressed ? t("dashboard.suppressed") : count(mo.incoming.visits),
          trend: mo.incomingVisitsTrend,
        },
      ],
    },
  ];
  return (
    <section aria-labelledby="key-figures">
      <h2 id="key-figures">{t("dashboard.keyFigures")}</h2>
      <p class="hint">{t("dashboard.trendExplained")}</p>
      <div class="grid">
        {cards.map((card) => (
          <FigureCard key={card.title} title={t(card.title)} figures={card.figures} />
        ))}
      </div>
      {health.liveness.worstLags.length > 0 ? <WorstLags health={health} /> : null}
      {health.training.byTopic.some((r) => r.trainings > 0) ? (
        <TrainingTopics health={health} />
      ) : null}
    </section>
  );
}

type Lag = Health["liveness"]["worstLags"][number];

function WorstLags({ health }: { health: Health }) {
  const columns: Column<Lag>[] = [
    { key: "fabrique", label: t("dashboard.fabrique"), value: (r) => r.fabriqueName },
    ...nodeStateColumns<Lag>(),
  ];
  return (
    <DataTable
      caption={t("dashboard.worstLags")}
      columns={columns}
      rows={health.liveness.worstLags}
      csvName="noeuds-retards"
    />
  );
}

type Topic = Health["training"]["byTopic"][number];

function TrainingTopics({ health }: { health: Health }) {
  const columns: Column<Topic>[] = [
    { key: "topic", label: t("dashboard.topic"), value: (r) => topicLabel(r.topic) },
    { key: "trainings", label: t("dashboard.trainings"), value: (r) => r.trainings, numeric: true },
    {
      key: "seatsOffered",
      label: t("dashboard.seatsOffered"),
      value: (r) => r.seatsOffered,
      numeric: true,
    },
    {
      key: "seatsFilled",
      label: t("dashboard.seatsFilled"),
      value: (r) => r.seatsFilled,
      numeric: true,
    },
    {
      key: "fillRate",
      label: t("dashboard.fillRate"),
      value: (r) => r.fillRate,
      render: (r) => formatPercent(r.fillRate),
      numeric: true,
    },
    {
      key: "hours",
      label: t("dashboard.hoursDelivered"),
      value: (r) => r.hoursDelivered,
      numeric: true,
    },
    {
      key: "waitlisted",
      label: t("dashboard.waitlisted"),
      value: (r) => r.waitlisted,
      numeric: true,
    },
  ];
  return (
    <DataTable
      caption={t("dashboard.trainingByTopic")}
      columns={columns}
      rows={health.training.byTopic.filter((r) => r.trainings > 0 || r.seatsOffered > 0)}
      csvName="formation-par-theme"
      initialSort={{ key: "trainings", descending: true }}
    />
  );
}

/** The regions of a view, each a link to its page. */
export function RegionsTable({ regions }: { regions: readonly RegionHealth[] }) {
  const columns: Column<RegionHealth>[] = [
    {
      key: "name",
      label: t("dashboard.region"),
      value: (r) => r.name,
      render: (r) => <Link to={`/regions/${r.code}`}>{r.name}</Link>,
    },
    { key: "code", label: t("dashboard.code"), value: (r) => r.code },
    { key: "spaces", label: t("dashboard.spaces"), value: (r) => r.coverage.spaces, numeric: true },
    {
      key: "activeSpaces",
      label: t("dashboard.activeSpaces"),
      value: (r) => r.coverage.activeSpaces,
      numeric: true,
    },
    {
      key: "ruralShare",
      label: t("dashboard.ruralShare"),
      value: (r) => r.coverage.ruralShare,
      render: (r) => formatPercent(r.coverage.ruralShare),
      numeric: true,
    },
    { key: "visitors", label: t("dashboard.visitors"), value: (r) => r.visitors, numeric: true },
    { key: "events", label: t("dashboard.events"), value: (r) => r.events, numeric: true },
    { key: "bookings", label: t("dashboard.bookings"), value: (r) => r.bookings, numeric: true },
    { key: "loans", label: t("dashboard.loans"), value: (r) => r.loans, numeric: true },
  ];
  return (
    <section aria-labelledby="regions-h">
      <h2 id="regions-h">{t("dashboard.regions")}</h2>
      <DataTable
        caption={t("dashboard.regionsTable")}
        columns={columns}
        rows={regions}
        csvName="regions"
        rowKey={(r) => r.code}
      />
    </section>
  );
}

/** Departments (coverage only: the API has no activity per department), each a link. */
export function DepartmentsTable({
  departments,
  caption,
}: {
  departments: readonly DepartmentHealth[];
  caption: string;
}) {
  const columns: Column<DepartmentHealth>[] = [
    {
      key: "name",
      label: t("dashboard.department"),
      value: (d) => d.name,
      render: (d) => <Link to={`/departments/${d.code}`}>{d.name}</Link>,
    },
    { key: "code", label: t("dashboard.code"), value: (d) => d.code },
    { key: "spaces", label: t("dashboard.spaces"), value: (d) => d.coverage.spaces, numeric: true },
    {
      key: "fabriques",
      label: t("dashboard.fabriques"),
      value: (d) => d.coverage.fabriques,
      numeric: true,
    },
    {
      key: "satellites",
      label: t("dashboard.satellites"),
      value: (d) => d.coverage.satellites,
      numeric: true,
    },
    {
      key: "activeSpaces",
      label: t("dashboard.activeSpaces"),
      value: (d) => d.coverage.activeSpaces,
      numeric: true,
    },
    {
      key: "ruralShare",
      label: t("dashboard.ruralShare"),
      value: (d) => d.coverage.ruralShare,
      render: (d) => formatPercent(d.coverage.ruralShare),
      numeric: true,
    },
  ];
  return (
    <DataTable
      caption={caption}
      columns={columns}
      rows={departments}
      csvName="departements"
      rowKey={(d) => d.code}
    />
  );
}
