import {
  ACTIVITY_CSV_COLUMNS,
  ACTIVITY_CSV_REQUIRED,
  ActivityPayload,
  type CsvRecord,
  csvRecords,
  isFutureDate,
} from "@maillage/schema";

/**
 * The CSV a satellite that kept a paper or spreadsheet log imports in one go:
 *
 *   space_id,date,visitors,events,participants,open_hours,note
 *
 * `note` is optional (column and value); columns may come in any order. Fields may be quoted
 * ("…, …" and doubled quotes "" inside, line breaks too); `open_hours` takes a decimal point or
 * a decimal comma (7.5 or "7,5"). Blank lines are skipped. Line numbers are the file's physical
 * lines (1 = the header), where the record starts.
 */

/** At most this many reports per file (two years of daily reports for 25 spaces). */
export const ACTIVITY_CSV_MAX_ROWS = 20_000;

export const NOTE_MAX_LENGTH = 1000;

/** One problem of an import, by line and column (null: the whole line or file). */
export type ActivityImportError = { line: number; field: string | null; message: string };

export type ActivityCsvRow = ActivityPayload & { line: number; note: string | null };

/**
 * RFC 4180 records with the physical line each starts on (csvRecords, @maillage/schema, shared
 * with the web console's preview). An open quote at the end is an error.
 */
export function parseCsvRecords(text: string): {
  records: CsvRecord[];
  error?: ActivityImportError;
} {
  const { records, unclosedAt } = csvRecords(text);
  if (unclosedAt === undefined) return { records };
  return {
    records,
    error: { line: unclosedAt, field: null, message: "a quoted field is not closed" },
  };
}

// A sign is read so that the contract says what is wrong ("cannot be negative").
const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?\d+(?:[.,]\d+)?$/;

/**
 * Parses and checks every line of the file (the contract's ranges, no future date) and returns
 * every problem found, not only the first. The spaces themselves are checked by the service.
 */
export function parseActivityCsv(
  text: string,
  now: Date = new Date(),
): { rows: ActivityCsvRow[]; errors: ActivityImportError[] } {
  const { records, error } = parseCsvRecords(text);
  const errors: ActivityImportError[] = error ? [error] : [];
  const [header, ...data] = records;
  if (!header) {
    return { rows: [], errors: [{ line: 1, field: null, message: "the file is empty" }] };
  }
  const names = header.fields.map((name) => name.trim().toLowerCase());
  const headerErrors: ActivityImportError[] = [];
  for (const name of names) {
    if (!(ACTIVITY_CSV_COLUMNS as readonly string[]).includes(name)) {
      headerErrors.push({
        line: header.line,
        field: name,
        message: `unknown column; expected ${ACTIVITY_CSV_COLUMNS.join(",")}`,
      });
    } else if (names.indexOf(name) !== names.lastIndexOf(name)) {
      headerErrors.push({ line: header.line, field: name, message: "column given twice" });
    }
  }
  for (const name of ACTIVITY_CSV_REQUIRED) {
    if (!names.includes(name)) {
      headerErrors.push({ line: header.line, field: name, message: "missing column" });
    }
  }
  if (headerErrors.length > 0) return { rows: [], errors: [...errors, ...headerErrors] };
  if (data.length === 0) {
    errors.push({ line: header.line, field: null, message: "the file has no reports" });
  }
  if (data.length > ACTIVITY_CSV_MAX_ROWS) {
    return {
      rows: [],
      errors: [
        {
          line: header.line,
          field: null,
          message: `at most ${ACTIVITY_CSV_MAX_ROWS} reports per file, this one has ${data.length}`,
        },
      ],
    };
  }

  const rows: ActivityCsvRow[] = [];
  for (const record of data) {
    const lineErrors: ActivityImportError[] = [];
    const fail = (field: string | null, message: string) =>
      lineErrors.push({ line: record.line, field, message });
    if (record.fields.length !== names.length) {
      fail(null, `expected ${names.length} fields, found ${record.fields.length}`);
      errors.push(...lineErrors);
      continue;
    }
    const value = (name: string) => (record.fields[names.indexOf(name)] ?? "").trim();
    const count = (name: string): number => {
      const raw = value(name);
      if (raw === "") fail(name, "required");
      else if (!INTEGER.test(raw)) fail(name, `"${raw}" is not a whole number`);
      return Number(raw);
    };
    const hoursRaw = value("open_hours");
    if (hoursRaw === "") fail("open_hours", "required");
    else if (!DECIMAL.test(hoursRaw)) fail("open_hours", `"${hoursRaw}" is not a number`);
    const candidate = {
      spaceId: value("space_id"),
      date: value("date"),
      visitors: count("visitors"),
      events: count("events"),
      participants: count("participants"),
      openHours: Number(hoursRaw.replace(",", ".")),
    };
    if (candidate.spaceId === "") fail("space_id", "required");
    const note = names.includes("note") ? value("note") : "";
    if (note.length > NOTE_MAX_LENGTH) fail("note", `at most ${NOTE_MAX_LENGTH} characters`);
    // The contract's checks, for the columns not already found wrong above.
    const parsed = ActivityPayload.safeParse(candidate);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const column = csvColumnOf(String(issue.path[0] ?? ""));
        if (!lineErrors.some((e) => e.field === column)) fail(column, issue.message);
      }
    } else if (isFutureDate(parsed.data.date, now)) {
      fail("date", `${parsed.data.date} is in the future`);
    }
    if (parsed.success && lineErrors.length === 0) {
      rows.push({ ...parsed.data, note: note === "" ? null : note, line: record.line });
    }
    errors.push(...lineErrors);
  }
  return { rows, errors };
}

/** The CSV column of a contract field (openHours → open_hours). */
export function csvColumnOf(field: string): string | null {
  if (field === "") return null;
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
