import { registerHubSessionTests } from "./sessions.suite.ts";

registerHubSessionTests("pglite");
