import { describe, expect, it } from "vitest";
import { loadGeography } from "./geography.ts";

describe("geography", () => {
  const geo = loadGeography();

  it("places a commune in its department and region with its population", () => {
    const privas = geo.requireCommune("07186");
    expect(privas).toMatchObject({ name: "Privas", departmentCode: "07", regionCode: "84" });
    expect(privas.population).toBeGreaterThan(7000);
    expect(privas.rural).toBe(false);
    expect(geo.region("84")?.name).toBe("Auvergne-Rhône-Alpes");
    expect(geo.department("07")?.name).toBe("Ardèche");
  });

  it("derives rural from the population", () => {
    const small = geo.requireCommune("01001"); // L'Abergement-Clémenciat, ~800 inhabitants
    expect(small.rural).toBe(true);
  });

  it("handles Corsican codes", () => {
    expect(geo.requireCommune("2A004")?.name).toBe("Ajaccio");
  });

  it("refuses unknown and non-current communes with UNKNOWN_COMMUNE", () => {
    expect(() => geo.requireCommune("99999")).toThrow(
      expect.objectContaining({ code: "UNKNOWN_COMMUNE" }),
    );
    // Béon is a commune déléguée of Culoz-Béon (01138): point to the current commune.
    expect(() => geo.requireCommune("01039")).toThrow(
      expect.objectContaining({
        code: "UNKNOWN_COMMUNE",
        details: expect.objectContaining({ suggestion: "01138" }),
      }),
    );
  });

  it("knows the EPCI of a commune and its members", () => {
    const privas = geo.epciOf("07186");
    expect(privas).toMatchObject({ code: "200071413", name: "CA Privas Centre Ardèche" });
    expect(privas?.communeCodes).toContain("07066"); // Chomérac
    expect(privas?.communeCodes).not.toContain("07010"); // Annonay: another EPCI
    expect(geo.epciOf("07010")?.code).not.toBe("200071413");
    expect(geo.epci("200071413")).toBe(privas);
    expect(geo.epciOf("99999")).toBeUndefined();
  });
});
