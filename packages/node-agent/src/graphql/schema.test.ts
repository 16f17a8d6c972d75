import fs from "node:fs";
import { buildSchema, lexicographicSortSchema, printSchema } from "graphql";
import { expect, it } from "vitest";
import { AGENT_SDL_PATH, printAgentSchema } from "./schema.ts";

it("matches the committed SDL (run `npm run sdl --workspace @maillage/node-agent` after a deliberate change)", () => {
  // Compared as printed by graphql-js, so that a formatter's layout of the file is no drift;
  // any change of a type, field, argument or description is.
  const committed = printSchema(
    lexicographicSortSchema(buildSchema(fs.readFileSync(AGENT_SDL_PATH, "utf8"))),
  );
  expect(`${committed}\n`).toBe(printAgentSchema());
});
