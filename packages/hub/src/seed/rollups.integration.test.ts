import { registerRollupTests } from "./rollups.suite.ts";

registerRollupTests("postgres");
