import { describe, expect, it } from "vitest";
import { parseActivityCsv, parseCsvRecords } from "./activity-csv.ts";

const NOW = new Date("2025-06-01T12:00:00Z");
const HEADER = "space_id,date,visitors,events,participants,open_hours,note";

describe("parseCsvRecords", () => {
  it("reads quoted fields with commas, doubled quotes and line breaks, with their line numbers", () => {
    const { records, error } = parseCsvRecords(
      '\uFEFFa,b\r\n"x, y","il a dit ""bonjour"""\n\n"deux\nlignes",z\nlast,',
    );
    expect(error).toBeUndefined();
    expect(records).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["x, y", 'il a dit "bonjour"'] },
      { line: 4, fields: ["deux\nlignes", "z"] },
      { line: 6, fields: ["last", ""] },
    ]);
  });

  it("reports a quote left open", () => {
    expect(parseCsvRecords('a,b\n"open,b\n').error).toEqual({
      line: 2,
      field: null,
      message: "a quoted field is not closed",
    });
  });
});

describe("parseActivityCsv", () => {
  it("parses rows, a decimal comma, an optional note column in any order", () => {
    const { rows, errors } = parseActivityCsv(
      'date,space_id,open_hours,visitors,events,participants\n2025-05-31,S1,"7,5",10,1,4\n',
      NOW,
    );
    expect(errors).toEqual([]);
    expect(rows).toEqual([
      {
        line: 2,
        spaceId: "S1",
        date: "2025-05-31",
        visitors: 10,
        events: 1,
        participants: 4,
        openHours: 7.5,
        note: null,
      },
    ]);
  });

  it("lists every problem of every line", () => {
    const { errors } = parseActivityCsv(
      [
        HEADER,
        "S1,2025-05-30,1,1,1,1,ok",
        "S1,30/05/2025,-1,x,1,1,",
        "S1,2025-06-03,1,1,1,1,",
        ",2025-05-30,1,1,1,99,",
        "S1,2025-05-30,1",
      ].join("\n"),
      NOW,
    );
    expect(errors.map((e) => [e.line, e.field])).toEqual([
      [3, "events"],
      [3, "visitors"],
      [3, "date"],
      [4, "date"],
      [5, "space_id"],
      [5, "open_hours"],
      [6, null],
    ]);
  });

  it("refuses a bad header, an empty file, a file without reports", () => {
    expect(parseActivityCsv("space_id,date,visits\n", NOW).errors.map((e) => e.field)).toEqual([
      "visits",
      "visitors",
      "events",
      "participants",
      "open_hours",
    ]);
    expect(parseActivityCsv("", NOW).errors).toEqual([
      { line: 1, field: null, message: "the file is empty" },
    ]);
    expect(parseActivityCsv(`${HEADER}\n`, NOW).errors).toEqual([
      { line: 1, field: null, message: "the file has no reports" },
    ]);
  });
});
