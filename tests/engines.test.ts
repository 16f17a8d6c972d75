import fs from "node:fs/promises";
import { describe, expect, it } from "vitest";

// `npm ci` on the Node.js version the README states prints no EBADENGINE warning: every package
// the lockfile installs accepts that version in its `engines.node`.

const root = new URL("../", import.meta.url);

type Version = [number, number, number];

function parseVersion(text: string): Version {
  const [major = 0, minor = 0, patch = 0] = text
    .replace(/^v/, "")
    .split(".")
    .map((part) => (/^\d+$/.test(part) ? Number(part) : 0));
  return [major, minor, patch];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * Whether `version` satisfies an npm `engines` range, in the forms the lockfile holds:
 * comparators (`>=18`, `>= 14.16.0`, `>4`, `<=5`, `<6`), carets (`^20.19.0`), x-ranges
 * (`10.x`), joined by spaces (and) and `||` (or).
 */
function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  return range.split("||").some((alternative) =>
    alternative
      .trim()
      .replace(/([<>]=?|\^)\s+/g, "$1")
      .split(/\s+/)
      .filter((comparator) => comparator !== "")
      .every((comparator) => {
        const [, operator = "", operand = ""] = /^([<>]=?|\^|=)?(.*)$/.exec(comparator) ?? [];
        const bound = parseVersion(operand);
        const order = compare(v, bound);
        switch (operator) {
          case ">=":
            return order >= 0;
          case ">":
            return order > 0;
          case "<=":
            return order <= 0;
          case "<":
            return order < 0;
          case "^":
            return order >= 0 && v[0] === bound[0];
          default: {
            // `10.x`, `20`, `20.19`: every given part matches.
            const parts = operand.split(".").filter((part) => /^\d+$/.test(part));
            return parts.every((part, i) => v[i] === Number(part));
          }
        }
      }),
  );
}

describe("engines", () => {
  it("reads the ranges the lockfile uses", () => {
    expect(satisfies("20.19.0", ">=20.19")).toBe(true);
    expect(satisfies("20.19.0", ">=22.15.0")).toBe(false);
    expect(satisfies("20.19.0", "^20.19.0 || >=22.12.0")).toBe(true);
    expect(satisfies("20.18.3", "^20.19.0 || >=22.12.0")).toBe(false);
    expect(satisfies("20.19.0", ">= 10.x")).toBe(true);
    expect(satisfies("20.19.0", "^10 || ^12 || >=14")).toBe(true);
    expect(satisfies("20.19.0", "^14.18.0 || >=16.10.0")).toBe(true);
    expect(satisfies("20.19.0", "^20.0.0 || ^22.0.0 || >=24.0.0")).toBe(true);
  });

  it("every installed package accepts the Node.js version the README states", async () => {
    const readme = await fs.readFile(new URL("README.md", root), "utf8");
    const stated = /Requires Node\.js ≥ (\d+\.\d+)/.exec(readme)?.[1];
    expect(stated).toBeDefined();
    const manifest = JSON.parse(await fs.readFile(new URL("package.json", root), "utf8"));
    expect(manifest.engines.node).toBe(`>=${stated}`);
    const lock = JSON.parse(await fs.readFile(new URL("package-lock.json", root), "utf8")) as {
      packages: Record<string, { version?: string; engines?: { node?: string } }>;
    };
    const refusing = Object.entries(lock.packages)
      .filter(([, entry]) => entry.engines?.node !== undefined)
      .filter(([, entry]) => !satisfies(`${stated}.0`, entry.engines?.node ?? ""))
      .map(([name, entry]) => `${name}@${entry.version} wants node ${entry.engines?.node}`);
    expect(refusing).toEqual([]);
  });
});
