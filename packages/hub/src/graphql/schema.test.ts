import fs from "node:fs";
import { expect, it } from "vitest";
import { HUB_SDL_PATH, printHubSchema } from "./schema.ts";

it("matches the committed SDL (run `npm run sdl --workspace @maillage/hub` after a deliberate change)", () => {
  expect(printHubSchema()).toBe(fs.readFileSync(HUB_SDL_PATH, "utf8"));
});
