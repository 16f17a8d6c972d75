// Writes the agent's SDL to packages/schema/agent.graphql: `npm run sdl --workspace @maillage/node-agent`.
// Then formats it with Biome, which checks .graphql files too (the drift test ignores layout).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import { AGENT_SDL_PATH, printAgentSchema } from "../src/graphql/schema.ts";

fs.writeFileSync(AGENT_SDL_PATH, printAgentSchema());
const biome = createRequire(import.meta.url).resolve("@biomejs/biome/bin/biome");
execFileSync(process.execPath, [biome, "format", "--write", AGENT_SDL_PATH], { stdio: "inherit" });
console.log(`wrote ${AGENT_SDL_PATH}`);
