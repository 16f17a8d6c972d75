import { describe, expect, it } from "vitest";
import { lang } from "../../i18n/i18n.ts";
import { EMPTY, readActivityForm } from "./activity-form.ts";

describe("activity form", () => {
  lang.value = "fr";
  const today = "2026-12-07";
  const filled = {
    ...EMPTY(today),
    visitors: "14",
    events: "2",
    participants: "11",
    openHours: "7,5",
    note: "  atelier  ",
  };

  it("reads counts, hours with a comma or a point, and a trimmed note", () => {
    expect(readActivityForm(filled, today)).toEqual({
      ok: true,
      value: {
        date: today,
        visitors: 14,
        events: 2,
        participants: 11,
        openHours: 7.5,
        note: "atelier",
      },
    });
    const read = readActivityForm({ ...filled, openHours: "24", note: "" }, today);
    expect(read.ok && read.value).toMatchObject({ openHours: 24 });
    expect(read.ok && "note" in read.value).toBe(false);
  });

  it("names every wrong field, in French", () => {
    const read = readActivityForm(
      {
        ...filled,
        date: "2026-12-08",
        visitors: "-1",
        events: "1.5",
        participants: "",
        openHours: "25",
      },
      today,
    );
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(Object.keys(read.errors).sort()).toEqual([
      "date",
      "events",
      "openHours",
      "participants",
      "visitors",
    ]);
    expect(read.errors.date).toBe("La date ne peut pas être dans le futur.");
  });
});
