/**
 * The preview of an activity CSV before it is sent to importActivity: its records with the
 * physical line each starts on (1 = the header, as the agent numbers them), the columns by
 * name, and the agent's per-line errors (extensions.errors) attached to their lines.
 */

import {
  ACTIVITY_CSV_COLUMNS,
  ACTIVITY_CSV_REQUIRED,
  csvRecords,
} from "../../../../schema/src/csv.ts";
import { type I18nKey, t } from "../../i18n/i18n.ts";

export type ActivityColumn = (typeof ACTIVITY_CSV_COLUMNS)[number];

export interface ImportLineError {
  line: number;
  field: string | null;
  message: string;
}

export interface PreviewRow {
  /** The file's physical line where the record starts. */
  line: number;
  cells: Partial<Record<ActivityColumn, string>>;
  errors: ImportLineError[];
}

export interface CsvPreview {
  /** Header columns that are known; unknown ones are listed in `unknownColumns`. */
  columns: ActivityColumn[];
  unknownColumns: string[];
  missingColumns: ActivityColumn[];
  rows: PreviewRow[];
  /** Problems not tied to a data line (the header, the file). */
  fileErrors: ImportLineError[];
}

/**
 * RFC 4180 records with the physical line each starts on; blank lines skipped (the agent's own
 * parser, packages/schema/src/csv.ts, imported as that file alone to keep zod out of the bundle).
 */
export { csvRecords };

/** The preview of a CSV text (no checks of values: the agent does them and says where). */
export function previewCsv(text: string): CsvPreview {
  const { records, unclosedAt } = csvRecords(text);
  const fileErrors: ImportLineError[] = [];
  if (unclosedAt !== undefined)
    fileErrors.push({ line: unclosedAt, field: null, message: "unclosed" });
  const [header, ...data] = records;
  if (!header) {
    return {
      columns: [],
      unknownColumns: [],
      missingColumns: [...ACTIVITY_CSV_REQUIRED],
      rows: [],
      fileErrors: [{ line: 1, field: null, message: "empty" }, ...fileErrors],
    };
  }
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const known = (name: string): name is ActivityColumn =>
    (ACTIVITY_CSV_COLUMNS as readonly string[]).includes(name);
  const columns = names.filter(known);
  const unknownColumns = names.filter((n) => !known(n) && n !== "");
  const missingColumns = ACTIVITY_CSV_REQUIRED.filter((c) => !columns.includes(c));
  const rows = data.map((record) => {
    const cells: Partial<Record<ActivityColumn, string>> = {};
    names.forEach((name, i) => {
      if (known(name)) cells[name] = (record.fields[i] ?? "").trim();
    });
    return { line: record.line, cells, errors: [] };
  });
  return { columns, unknownColumns, missingColumns, rows, fileErrors };
}

/** Reads extensions.errors of importActivity's BAD_USER_INPUT (anything malformed is skipped). */
export function importErrorsOf(errors: readonly { extensions?: Record<string, unknown> }[]) {
  const out: ImportLineError[] = [];
  for (const error of errors) {
    const list = error.extensions?.errors;
    if (!Array.isArray(list)) continue;
    for (const item of list as unknown[]) {
      const e = item as Partial<ImportLineError> | null;
      if (!e || typeof e.line !== "number" || typeof e.message !== "string") continue;
      out.push({
        line: e.line,
        field: typeof e.field === "string" ? e.field : null,
        message: e.message,
      });
    }
  }
  return out;
}

/**
 * The preview with the agent's errors put on their lines; errors on no data line (the header,
 * the whole file) go to fileErrors.
 */
export function attachErrors(preview: CsvPreview, errors: readonly ImportLineError[]): CsvPreview {
  const byLine = new Map<number, ImportLineError[]>();
  for (const e of errors) byLine.set(e.line, [...(byLine.get(e.line) ?? []), e]);
  const lines = new Set(preview.rows.map((r) => r.line));
  return {
    ...preview,
    rows: preview.rows.map((row) => ({ ...row, errors: byLine.get(row.line) ?? [] })),
    fileErrors: [
      ...preview.fileErrors,
      ...errors.filter((e) => !lines.has(e.line)).sort((a, b) => a.line - b.line),
    ],
  };
}

/** The agent's import messages (English, packages/node-agent activity-csv.ts) and ours, by shape. */
const IMPORT_MESSAGES: readonly [RegExp, I18nKey][] = [
  [/^(empty|the file is empty)$/, "places.import.empty"],
  [/^(unclosed|a quoted field is not closed)$/, "places.import.unclosed"],
  [/^required$/, "places.import.required"],
  [/is not a whole number$/, "places.import.notInteger"],
  [/is not a number$/, "places.import.notNumber"],
  [/is in the future$/, "places.import.future"],
  [/^missing column$/, "places.import.missingColumn"],
  [/^column given twice$/, "places.import.twice"],
  [/^unknown column/, "places.import.unknownColumn"],
  [/^the file has no reports$/, "places.import.noRows"],
  [/^at most (\d+) reports per file/, "places.import.tooManyRows"],
  [/^expected (\d+) fields, found (\d+)/, "places.import.fieldCount"],
  [/^at most (\d+) characters/, "places.import.tooLong"],
];

/**
 * An import line error in the interface language: the agent's English messages are matched
 * by shape (their numbers kept); anything else is « valeur refusée », never the English text.
 */
export function importMessage(message: string): string {
  for (const [shape, key] of IMPORT_MESSAGES) {
    const match = shape.exec(message);
    if (match) return t(key, { a: match[1] ?? "", b: match[2] ?? "" });
  }
  return t("places.import.rejected");
}
