import { registerSyncTests } from "./sync.suite.ts";

registerSyncTests("pglite");
