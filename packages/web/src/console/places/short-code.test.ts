import { describe, expect, it } from "vitest";
import { isShortCode, normaliseShortCode } from "./short-code.ts";

describe("typed short code", () => {
  it("accepts lower case, spaces and missing dashes", () => {
    expect(normaliseShortCode("c7zh 71kr f7c5")).toBe("C7ZH-71KR-F7C5");
    expect(normaliseShortCode(" C7ZH71KRF7C5 ")).toBe("C7ZH-71KR-F7C5");
    expect(normaliseShortCode("c7zh–71kr–f7c5")).toBe("C7ZH-71KR-F7C5");
  });

  it("refuses a code of the wrong length", () => {
    expect(isShortCode("C7ZH-71KR")).toBe(false);
    expect(isShortCode("C7ZH-71KR-F7C5-X")).toBe(false);
    expect(isShortCode("c7zh-71kr-f7c5")).toBe(true);
  });
});
