// Writes the hub's SDL to packages/schema/hub.graphql: `npm run sdl --workspace @maillage/hub`.
import fs from "node:fs";
import { HUB_SDL_PATH, printHubSchema } from "../src/graphql/schema.ts";

fs.writeFileSync(HUB_SDL_PATH, printHubSchema());
console.log(`wrote ${HUB_SDL_PATH}`);
