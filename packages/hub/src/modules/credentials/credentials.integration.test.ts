import { registerHubCredentialTests } from "./credentials.suite.ts";

registerHubCredentialTests("postgres");
