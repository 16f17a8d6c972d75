import fs from "node:fs";
import { expect, it } from "vitest";
import { AGENT_SDL_PATH, printAgentSchema } from "./schema.ts";

it("matches the committed SDL (run `npm run sdl --workspace @maillage/node-agent` after a deliberate change)", () => {
  expect(printAgentSchema()).toBe(fs.readFileSync(AGENT_SDL_PATH, "utf8"));
});
