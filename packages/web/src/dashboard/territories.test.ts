import { describe, expect, it } from "vitest";
import { territoriesOf } from "./territories.ts";

const commune = (name: string, code: string) => ({
  name,
  department: { code, name: `Dept ${code}` },
});
const fabrique = (id: string, name: string, dept: string) => ({
  id,
  name,
  rural: false,
  commune: commune(`${name} town`, dept),
});

describe("territoriesOf", () => {
  it("lists every fabrique with a place in the department, based there or not", () => {
    const away = fabrique("F2", "Brest Lab", "29");
    const home = fabrique("F1", "Atelier", "34");
    const territories = territoriesOf([
      { ...home, kind: "FABRIQUE" as const, fabrique: null },
      { ...fabrique("S1", "Sat 1", "34"), kind: "SATELLITE" as const, fabrique: away },
      { ...fabrique("S2", "Sat 2", "34"), kind: "SATELLITE" as const, fabrique: away },
      { ...fabrique("S3", "Sat 3", "34"), kind: "SATELLITE" as const, fabrique: home },
    ]);
    expect(territories.map((x) => [x.fabrique.id, x.places])).toEqual([
      ["F1", 2],
      ["F2", 2],
    ]);
  });
});
