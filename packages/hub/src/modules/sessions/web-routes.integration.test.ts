import { registerHubSessionTests } from "./sessions.suite.ts";

registerHubSessionTests("postgres");
