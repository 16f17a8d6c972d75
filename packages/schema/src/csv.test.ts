import { describe, expect, it } from "vitest";
import { csvRecords } from "./csv.ts";

describe("csvRecords", () => {
  it("reads quoted fields with commas, doubled quotes and line breaks, with their line numbers", () => {
    const { records, unclosedAt } = csvRecords(
      '\uFEFFa,b\r\n"x, y","il a dit ""bonjour"""\n\n"deux\nlignes",z\nlast,',
    );
    expect(unclosedAt).toBeUndefined();
    expect(records).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["x, y", 'il a dit "bonjour"'] },
      { line: 4, fields: ["deux\nlignes", "z"] },
      { line: 6, fields: ["last", ""] },
    ]);
  });

  it("ends records at LF, CRLF and a lone CR; a trailing line break adds no record", () => {
    expect(csvRecords("a\rb\r\nc\n").records).toEqual([
      { line: 1, fields: ["a"] },
      { line: 2, fields: ["b"] },
      { line: 3, fields: ["c"] },
    ]);
  });

  it("skips blank lines but keeps a line of empty fields or an empty quoted field", () => {
    expect(csvRecords('a\n\n,\n""\n\n').records).toEqual([
      { line: 1, fields: ["a"] },
      { line: 3, fields: ["", ""] },
      { line: 4, fields: [""] },
    ]);
  });

  it("has no record in an empty text or a lone BOM", () => {
    expect(csvRecords("")).toEqual({ records: [] });
    expect(csvRecords("\uFEFF\n")).toEqual({ records: [] });
  });

  it("reports a quote left open at the line its record starts, with the records before it", () => {
    expect(csvRecords('a,b\n"open,b\n')).toEqual({
      records: [{ line: 1, fields: ["a", "b"] }],
      unclosedAt: 2,
    });
  });
});
