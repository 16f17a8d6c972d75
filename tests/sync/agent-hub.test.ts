import { registerAgentHubTests } from "./agent-hub.suite.ts";

registerAgentHubTests("pglite");
