import { describe, expect, it } from "vitest";
import { MaillageError } from "./errors.ts";
import { normaliseId, parseId, requireId } from "./ids.ts";

const ULID = "01JD8Z6Q2V3W4X5Y6Z7A8B9C0D";
const legacy = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString("base64");

describe("ids", () => {
  it("takes the raw id as it is, and a lower-case ULID in its canonical upper case", () => {
    expect(parseId(ULID)).toEqual({ ok: true, id: ULID });
    expect(parseId(ULID.toLowerCase())).toEqual({ ok: true, id: ULID });
    expect(parseId(` ${ULID} `)).toEqual({ ok: true, id: ULID });
  });

  it("normalises the old Relay global form to the raw id, checking its type", () => {
    expect(parseId(legacy("Space", ULID), "Space")).toEqual({ ok: true, id: ULID });
    expect(parseId(legacy("Resource", "laser"))).toEqual({ ok: true, id: "laser" });
    const wrong = parseId(legacy("Resource", ULID), "Space");
    expect(wrong.ok).toBe(false);
  });

  it("refuses what no record can have as id, with BAD_USER_INPUT naming the field", () => {
    for (const bad of ["", "a b", "x".repeat(65), "é"]) expect(parseId(bad).ok).toBe(false);
    try {
      requireId("a b", "filter.fabrique", "Space");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(MaillageError);
      expect((error as MaillageError).code).toBe("BAD_USER_INPUT");
      expect((error as MaillageError).details).toEqual({ field: "filter.fabrique" });
    }
    expect(normaliseId("a b")).toBe("a b");
    expect(normaliseId(legacy("Space", ULID), "Space")).toBe(ULID);
  });
});
