import { describe, expect, it } from "vitest";
import { MaillageError } from "./errors.ts";
import { parseId, requireId } from "./ids.ts";

const ULID = "01JD8Z6Q2V3W4X5Y6Z7A8B9C0D";

describe("ids", () => {
  it("takes the raw id as it is, and a lower-case ULID in its canonical upper case", () => {
    expect(parseId(ULID)).toEqual({ ok: true, id: ULID });
    expect(parseId(ULID.toLowerCase())).toEqual({ ok: true, id: ULID });
    expect(parseId(` ${ULID} `)).toEqual({ ok: true, id: ULID });
    expect(parseId("laser")).toEqual({ ok: true, id: "laser" });
  });

  it("refuses what no record can have as id, with BAD_USER_INPUT naming the field", () => {
    for (const bad of ["", "a b", "x".repeat(65), "é"]) expect(parseId(bad).ok).toBe(false);
    try {
      requireId("a b", "filter.fabrique");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(MaillageError);
      expect((error as MaillageError).code).toBe("BAD_USER_INPUT");
      expect((error as MaillageError).details).toEqual({ field: "filter.fabrique" });
    }
  });
});
