// Writes the agent's SDL to packages/schema/agent.graphql: `npm run sdl --workspace @maillage/node-agent`.
import fs from "node:fs";
import { AGENT_SDL_PATH, printAgentSchema } from "../src/graphql/schema.ts";

fs.writeFileSync(AGENT_SDL_PATH, printAgentSchema());
console.log(`wrote ${AGENT_SDL_PATH}`);
