/**
 * RFC 4180 records, shared by the node agent's activity import (activity-csv.ts) and the web
 * console's preview of the same file (csv-preview.ts), so both number lines the same way.
 *
 * Pure and dependency-free: the web app imports this file directly
 * (`../../../schema/src/csv.ts`), not the package index, so its bundle takes nothing else.
 */

/**
 * The columns of an activity CSV (a satellite's paper or spreadsheet log), in any order;
 * every one but `note` is required. The agent's import and the web preview read these.
 */
export const ACTIVITY_CSV_COLUMNS = [
  "space_id",
  "date",
  "visitors",
  "events",
  "participants",
  "open_hours",
  "note",
] as const;
export const ACTIVITY_CSV_REQUIRED = ACTIVITY_CSV_COLUMNS.filter((c) => c !== "note");

/** One record and the file's physical line it starts on (1 = the first line). */
export type CsvRecord = { line: number; fields: string[] };

/**
 * The records of a CSV text: fields may be quoted ("…, …", doubled quotes "" inside, line
 * breaks too); records end at LF, CRLF or CR; a leading BOM is dropped; blank lines are no
 * record. A quote still open at the end stops the parse: `unclosedAt` is the line where that
 * record starts, and `records` holds the ones before it.
 */
export function csvRecords(text: string): { records: CsvRecord[]; unclosedAt?: number } {
  const records: CsvRecord[] = [];
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  let line = 1;
  let startLine = 1;
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let fieldStarted = false;
  const endRecord = () => {
    fields.push(field);
    // A blank line is no record.
    if (!(fields.length === 1 && fields[0] === "" && !fieldStarted)) {
      records.push({ line: startLine, fields });
    }
    fields = [];
    field = "";
    fieldStarted = false;
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (quoted) {
      if (c === '"') {
        if (source[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        if (c === "\n") line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === "") {
      quoted = true;
      fieldStarted = true;
    } else if (c === ",") {
      fields.push(field);
      field = "";
      fieldStarted = true;
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && source[i + 1] === "\n") i++;
      endRecord();
      line++;
      startLine = line;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) return { records, unclosedAt: startLine };
  if (field !== "" || fields.length > 0 || fieldStarted) endRecord();
  return { records };
}
