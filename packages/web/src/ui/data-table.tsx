import type { ComponentChildren } from "preact";
import { useMemo, useState } from "preact/hooks";
import { t } from "../i18n/i18n.ts";
import { type CsvValue, downloadCsv, toCsv } from "./csv.ts";

export interface Column<T> {
  /** Stable id of the column (sorting state). */
  key: string;
  /** The header text (also the CSV header). */
  label: string;
  /** The raw value: what is sorted on and exported. */
  value: (row: T) => CsvValue;
  /** What the cell shows (default: the value, numbers formatted). */
  render?: (row: T) => ComponentChildren;
  /** Right-aligned, sorted numerically. */
  numeric?: boolean;
  /** The row's header cell (th scope=row); default the first column. */
  rowHeader?: boolean;
}

export interface DataTableProps<T> {
  /** The table's caption: its accessible name. */
  caption: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  /** The CSV file's name, without .csv. */
  csvName: string;
  /** Key of a row (default its index). */
  rowKey?: (row: T, index: number) => string;
  /** Visually hide the caption (still read by screen readers). */
  hideCaption?: boolean;
  /** Column sorted at first, and its direction. */
  initialSort?: { key: string; descending?: boolean };
}

function compare(a: CsvValue, b: CsvValue): number {
  if (a == null || a === "") return b == null || b === "" ? 0 : 1;
  if (b == null || b === "") return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), "fr", { numeric: true, sensitivity: "base" });
}

function defaultCell(value: CsvValue): ComponentChildren {
  if (typeof value === "number")
    return new Intl.NumberFormat(document.documentElement.lang || "fr").format(value);
  if (typeof value === "boolean") return value ? "✓" : "—";
  return value ?? "—";
}

/**
 * A table with a caption, headers that sort (buttons, aria-sort), and a CSV export of the rows
 * as sorted. Wide tables scroll inside their own region.
 */
export function DataTable<T>({
  caption,
  columns,
  rows,
  csvName,
  rowKey,
  hideCaption,
  initialSort,
}: DataTableProps<T>) {
  const [sort, setSort] = useState<{ key: string; descending: boolean } | undefined>(
    initialSort ? { key: initialSort.key, descending: initialSort.descending ?? false } : undefined,
  );
  const sorted = useMemo(() => {
    const column = sort && columns.find((c) => c.key === sort.key);
    if (!column || !sort) return rows;
    const out = [...rows].sort((a, b) => compare(column.value(a), column.value(b)));
    return sort.descending ? out.reverse() : out;
  }, [rows, columns, sort]);
  const headerIndex = Math.max(
    0,
    columns.findIndex((c) => c.rowHeader),
  );

  const exportCsv = () =>
    downloadCsv(
      csvName,
      toCsv(
        columns.map((c) => c.label),
        sorted.map((row) => columns.map((c) => c.value(row))),
      ),
    );

  return (
    <div class="data-table">
      <div class="data-table-tools">
        <button
          type="button"
          class="secondary"
          onClick={exportCsv}
          aria-label={t("table.exportCsvNamed", { caption })}
        >
          {t("table.exportCsv")}
        </button>
      </div>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard */}
      <section class="table-scroll" tabIndex={0} aria-label={caption}>
        <table>
          <caption class={hideCaption ? "visually-hidden" : undefined}>{caption}</caption>
          <thead>
            <tr>
              {columns.map((column) => {
                const active = sort?.key === column.key;
                const ariaSort = active
                  ? sort?.descending
                    ? "descending"
                    : "ascending"
                  : undefined;
                return (
                  <th
                    key={column.key}
                    scope="col"
                    aria-sort={ariaSort}
                    class={column.numeric ? "num" : undefined}
                  >
                    <button
                      type="button"
                      class="sort"
                      onClick={() =>
                        setSort({
                          key: column.key,
                          descending: active ? !sort?.descending : Boolean(column.numeric),
                        })
                      }
                    >
                      {column.label}
                      <span aria-hidden="true" class="sort-mark">
                        {active ? (sort?.descending ? " ▼" : " ▲") : " ↕"}
                      </span>
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {sorted.length === 0 ? (
              <tr>
                <td colSpan={columns.length}>{t("table.empty")}</td>
              </tr>
            ) : (
              sorted.map((row, index) => (
                <tr key={rowKey ? rowKey(row, index) : index}>
                  {columns.map((column, i) => {
                    const content = column.render
                      ? column.render(row)
                      : defaultCell(column.value(row));
                    const cls = column.numeric ? "num" : undefined;
                    return i === headerIndex ? (
                      <th key={column.key} scope="row" class={cls}>
                        {content}
                      </th>
                    ) : (
                      <td key={column.key} class={cls}>
                        {content}
                      </td>
                    );
                  })}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </section>
    </div>
  );
}
