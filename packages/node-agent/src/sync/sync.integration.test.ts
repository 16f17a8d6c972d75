import { registerSyncTests } from "./sync.suite.ts";

registerSyncTests("postgres");
