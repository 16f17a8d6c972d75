import * as Plot from "@observablehq/plot";
import { useEffect, useRef, useState } from "preact/hooks";
import { formatNumber, t } from "../i18n/i18n.ts";
import { DataTable, type DataTableProps } from "./data-table.tsx";

export { Plot };

/** A mark's tip with its numbers in the interface's language (Plot's default is en-US). */
export const LOCALE_TIP = {
  format: { y: (v: number) => formatNumber(v), x: true, fx: true, stroke: true, fill: true },
};

export interface ChartProps<T> {
  /** The chart's accessible name (aria-label of its SVG) and heading of its data. */
  label: string;
  /** A longer description of what the chart shows (aria-description). */
  description?: string;
  /** Plot options for a given width (the container's). */
  plot: (width: number) => Plot.PlotOptions;
  /** The same data as a table (shown under a disclosure, exportable as CSV). */
  table: Omit<DataTableProps<T>, "caption"> & { caption?: string };
}

/**
 * An Observable Plot chart (SVG, labelled with role=img) redrawn at its container's width,
 * followed by its data as a table in a <details>.
 */
export function Chart<T>({ label, description, plot, table }: ChartProps<T>) {
  const holder = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(640);

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => {
      const w = Math.floor(entry?.contentRect.width ?? 0);
      if (w > 0) setWidth((previous) => (Math.abs(previous - w) > 8 ? w : previous));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const figure = Plot.plot({
      ...plot(width),
      width,
      ariaLabel: label,
      ariaDescription: description,
      style: { background: "transparent", fontSize: "12px" },
    });
    // Plot returns its <svg>, or a <figure> holding a legend then the <svg>: the SVG is the image.
    const svg = figure instanceof SVGSVGElement ? figure : figure.querySelector(":scope > svg");
    svg?.setAttribute("role", "img");
    svg?.setAttribute("aria-label", label);
    // the marks' own names ("bar", "line") are not allowed on plain <g> and add nothing inside an image
    for (const node of svg?.querySelectorAll("[aria-label], [aria-description]") ?? []) {
      node.removeAttribute("aria-label");
      node.removeAttribute("aria-description");
    }
    element.replaceChildren(figure);
    return () => figure.remove();
  });

  return (
    <figure class="chart">
      <div class="chart-plot" ref={holder} />
      <figcaption class="visually-hidden">{label}</figcaption>
      <details class="chart-data">
        <summary>
          {t("chart.dataTable")} — {label}
        </summary>
        <DataTable {...table} caption={table.caption ?? label} />
      </details>
    </figure>
  );
}
