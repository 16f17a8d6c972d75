import fs from "node:fs";
import { expect, it } from "vitest";
import { ErrorCodes } from "./errors.ts";

it("documents every error code in docs/errors.md", () => {
  const doc = fs.readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
  const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
  expect(documented.sort()).toEqual(Object.keys(ErrorCodes).sort());
});
