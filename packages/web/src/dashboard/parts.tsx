import type { ComponentChildren } from "preact";
import { Link } from "../app/router.ts";
import { t } from "../i18n/i18n.ts";
import { formatTrend } from "../ui/format.ts";

export interface Crumb {
  label: string;
  to?: string;
}

/** "France › Auvergne-Rhône-Alpes › Ardèche": the drill-down path, the last one the current page. */
export function Breadcrumb({ crumbs }: { crumbs: readonly Crumb[] }) {
  return (
    <nav class="breadcrumb" aria-label={t("dashboard.breadcrumb")}>
      <ol>
        {crumbs.map((crumb, i) => (
          <li key={`${i}-${crumb.label}`}>
            {crumb.to && i < crumbs.length - 1 ? (
              <Link to={crumb.to}>{crumb.label}</Link>
            ) : (
              <span aria-current={i === crumbs.length - 1 ? "page" : undefined}>{crumb.label}</span>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}

export interface Figure {
  /** Stable id, also the element's data-figure attribute ("activity.visitors"). */
  id: string;
  label: string;
  value: string;
  /** Change in percent against the previous period (the API's *Trend), when there is one. */
  trend?: number | null | undefined;
}

/** A titled card of figures: a <section> named by its heading, a <dl> of label → value (trend). */
export function FigureCard({
  title,
  figures,
  children,
}: {
  title: string;
  figures: readonly Figure[];
  children?: ComponentChildren;
}) {
  const id = `card-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return (
    <section class="card" aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      <dl class="figures">
        {figures.map((f) => (
          <div key={f.id} class="figure" data-figure={f.id}>
            <dt>{f.label}</dt>
            <dd>
              <span class="value">{f.value}</span>
              {f.trend !== undefined ? (
                <span class="trend" title={t("dashboard.trendHint")}>
                  {" "}
                  <span class="visually-hidden">{t("dashboard.trendSr")} </span>
                  {formatTrend(f.trend)}
                </span>
              ) : null}
            </dd>
          </div>
        ))}
      </dl>
      {children}
    </section>
  );
}
