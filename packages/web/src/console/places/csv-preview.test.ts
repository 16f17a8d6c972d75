import { describe, expect, it } from "vitest";
import { lang } from "../../i18n/i18n.ts";
import {
  attachErrors,
  csvRecords,
  importErrorsOf,
  importMessage,
  previewCsv,
} from "./csv-preview.ts";

const CSV = [
  "space_id,date,visitors,events,participants,open_hours,note",
  "sp1,2026-12-01,12,1,8,7.5,",
  "",
  'sp1,2026-12-02,3,0,0,"7,5","deux',
  'lignes, et des ""guillemets"""',
  "sp1,2026-12-03,x,0,0,4,ok",
].join("\r\n");

describe("activity CSV preview", () => {
  it("numbers records by the physical line they start on, blank lines skipped", () => {
    const { records } = csvRecords(CSV);
    expect(records.map((r) => r.line)).toEqual([1, 2, 4, 6]);
    expect(records[2]?.fields[6]).toBe('deux\r\nlignes, et des "guillemets"');
    expect(records[2]?.fields[5]).toBe("7,5");
  });

  it("maps cells by column name, in any order, and lists missing and unknown columns", () => {
    const preview = previewCsv("\uFEFFDate,space_id,visitors,extra\n2026-12-01,sp1,4,z\n");
    expect(preview.columns).toEqual(["date", "space_id", "visitors"]);
    expect(preview.unknownColumns).toEqual(["extra"]);
    expect(preview.missingColumns).toEqual(["events", "participants", "open_hours"]);
    expect(preview.rows).toEqual([
      { line: 2, cells: { date: "2026-12-01", space_id: "sp1", visitors: "4" }, errors: [] },
    ]);
  });

  it("reports an empty file and an unclosed quote", () => {
    expect(previewCsv("").fileErrors[0]).toMatchObject({ line: 1, message: "empty" });
    expect(previewCsv('a,b\n"x,y\n').fileErrors).toEqual([
      { line: 2, field: null, message: "unclosed" },
    ]);
  });

  it("puts the agent's errors next to their lines, header errors apart", () => {
    const errors = importErrorsOf([
      {
        extensions: {
          code: "BAD_USER_INPUT",
          errors: [
            { line: 6, field: "visitors", message: "expected a whole number" },
            { line: 1, field: "foo", message: "unknown column" },
            { line: 6, field: "date", message: "in the future" },
            { nonsense: true },
          ],
        },
      },
    ]);
    expect(errors).toHaveLength(3);
    const preview = attachErrors(previewCsv(CSV), errors);
    expect(preview.rows.find((r) => r.line === 6)?.errors.map((e) => e.field)).toEqual([
      "visitors",
      "date",
    ]);
    expect(preview.rows.find((r) => r.line === 2)?.errors).toEqual([]);
    expect(preview.fileErrors).toEqual([{ line: 1, field: "foo", message: "unknown column" }]);
  });
});

describe("import messages in words", () => {
  it("puts the agent's English messages in French, numbers kept, never the English text", () => {
    lang.value = "fr";
    expect(importMessage('"x" is not a whole number')).toBe("pas un nombre entier");
    expect(importMessage("expected 7 fields, found 5")).toBe("7 champs attendus, 5 trouvés");
    expect(importMessage("2027-01-01 is in the future")).toBe("date dans le futur");
    expect(importMessage("something new from the agent")).toBe("valeur refusée");
  });
});
