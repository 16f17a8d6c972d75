import { describe, expect, it } from "vitest";
import { consentChange, fieldValue, normaliseFields, toggleField } from "./disclosure.ts";

describe("disclosure at check-in", () => {
  const consent = ["EMAIL", "FIRST_NAME"];

  it("starts from none and keeps the canonical order", () => {
    let chosen = toggleField([], "EMAIL", true, consent);
    chosen = toggleField(chosen, "FIRST_NAME", true, consent);
    expect(chosen).toEqual(["FIRST_NAME", "EMAIL"]);
    expect(toggleField(chosen, "EMAIL", false, consent)).toEqual(["FIRST_NAME"]);
  });

  it("never adds a field the pass does not carry", () => {
    expect(toggleField([], "PHONE", true, consent)).toEqual([]);
    expect(normaliseFields(["PHONE", "EMAIL", "EMAIL", "NOPE"], consent)).toEqual(["EMAIL"]);
  });

  it("drops a chosen field once the consent no longer has it", () => {
    expect(normaliseFields(["FIRST_NAME", "EMAIL"], ["EMAIL"])).toEqual(["EMAIL"]);
  });

  it("tells what a consent change adds and removes", () => {
    expect(consentChange(["EMAIL"], ["EMAIL", "PHONE"])).toEqual({
      added: ["PHONE"],
      removed: [],
      changed: true,
    });
    expect(consentChange(["PHONE", "EMAIL"], ["EMAIL", "PHONE"]).changed).toBe(false);
    expect(consentChange(["EMAIL"], []).removed).toEqual(["EMAIL"]);
  });

  it("reads the member's value of a field", () => {
    const member = { firstName: "Léa", email: null, phone: "06", organisation: undefined };
    expect(fieldValue(member, "FIRST_NAME")).toBe("Léa");
    expect(fieldValue(member, "EMAIL")).toBeNull();
    expect(fieldValue(member, "ORGANISATION")).toBeNull();
    expect(fieldValue(null, "PHONE")).toBeNull();
  });
});
