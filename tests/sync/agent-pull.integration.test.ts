import { registerAgentPullTests } from "./agent-pull.suite.ts";

registerAgentPullTests("postgres");
