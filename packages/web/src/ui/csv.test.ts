import { describe, expect, it } from "vitest";
import { csvField, toCsv } from "./csv.ts";

describe("csv", () => {
  it("quotes fields holding separators, quotes or line breaks, doubling quotes", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField("a;b")).toBe('"a;b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
  });

  it("prefixes formula triggers with a quote", () => {
    expect(csvField("=SUM(A1)")).toBe("'=SUM(A1)");
    expect(csvField("+33 1")).toBe("'+33 1");
    expect(csvField("-x")).toBe("'-x");
    expect(csvField("@cmd")).toBe("'@cmd");
    expect(csvField('=HYPERLINK("x",1)')).toBe(`"'=HYPERLINK(""x"",1)"`);
  });

  it("writes numbers as numbers, negative ones included, and empties for null", () => {
    expect(csvField(-3.5)).toBe("-3.5");
    expect(csvField(0)).toBe("0");
    expect(csvField(null)).toBe("");
    expect(csvField(undefined)).toBe("");
    expect(csvField(Number.NaN)).toBe("");
  });

  it("joins rows with CRLF after a header", () => {
    expect(
      toCsv(
        ["Région", "Lieux"],
        [
          ["Bretagne", 12],
          ["Île-de-France, Paris", 40],
        ],
      ),
    ).toBe('Région,Lieux\r\nBretagne,12\r\n"Île-de-France, Paris",40\r\n');
  });
});
