import { describe, expect, it } from "vitest";
import { commonEn } from "./common.en.ts";
import { commonFr } from "./common.fr.ts";
import { consoleEn } from "./console.en.ts";
import { consoleFr } from "./console.fr.ts";
import { dashboardEn } from "./dashboard.en.ts";
import { dashboardFr } from "./dashboard.fr.ts";
import { formatDate, formatDateTime, formatNumber, lang, t } from "./i18n.ts";
import { placesEn } from "./places.en.ts";
import { placesFr } from "./places.fr.ts";

const pairs = {
  common: [commonFr, commonEn],
  dashboard: [dashboardFr, dashboardEn],
  console: [consoleFr, consoleEn],
  places: [placesFr, placesEn],
} as const;

describe("i18n", () => {
  for (const [name, [fr, en]] of Object.entries(pairs)) {
    it(`${name}: French and English have the same keys, none empty`, () => {
      expect(Object.keys(en).sort()).toEqual(Object.keys(fr).sort());
      for (const [key, value] of [...Object.entries(fr), ...Object.entries(en)]) {
        expect(value.trim(), key).not.toBe("");
      }
    });
    it(`${name}: each English message has the French one's placeholders`, () => {
      const holes = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const [key, value] of Object.entries(fr)) {
        expect(holes((en as Record<string, string>)[key] ?? ""), key).toEqual(holes(value));
      }
    });
  }

  it("no key is defined by two dictionaries", () => {
    const keys = [commonFr, dashboardFr, consoleFr, placesFr].flatMap((d) => Object.keys(d));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("speaks French by default, English on demand, and fills placeholders", () => {
    lang.value = "fr";
    expect(t("app.logout")).toBe("Se déconnecter");
    expect(t("table.sortBy", { column: "Région" })).toBe("Trier par Région");
    lang.value = "en";
    expect(t("app.logout")).toBe("Sign out");
    lang.value = "fr";
  });

  it("formats numbers and dates in French, in Paris time", () => {
    lang.value = "fr";
    expect(formatNumber(1234.5)).toMatch(/^1\s234,5$/);
    expect(formatDate("2026-12-07")).toBe("7 déc. 2026");
    // 23:30 UTC on 31 December is already 1 January in Paris
    expect(formatDateTime("2026-12-31T23:30:00Z")).toMatch(/^1 janv\. 2027,? 00:30$/);
  });
});
