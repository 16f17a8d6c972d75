import { downloadText } from "./download.ts";

/** A CSV cell: numbers as is, text quoted when needed, formula triggers (= + - @) defused. */
export type CsvValue = string | number | boolean | null | undefined;

/**
 * One RFC 4180 field: quoted when it holds a comma, a quote, a semicolon or a line break
 * (quotes doubled). Text starting with = + - @ (or a tab / carriage return) is prefixed with '
 * so that a spreadsheet does not run it as a formula; numbers are written as numbers.
 */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",;\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV document: a header row then the rows, CRLF line ends (RFC 4180). */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return `${[header, ...rows].map((row) => row.map(csvField).join(",")).join("\r\n")}\r\n`;
}

/** Saves a CSV as a file download (UTF-8 with BOM, so that spreadsheets read accents). */
export function downloadCsv(filename: string, csv: string): void {
  const name = filename.endsWith(".csv") ? filename : `${filename}.csv`;
  downloadText(name, csv, "text/csv", { bom: true });
}
