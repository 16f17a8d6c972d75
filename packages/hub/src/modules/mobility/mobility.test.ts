import { registerMobilitySyncTests } from "./mobility.suite.ts";

registerMobilitySyncTests("pglite");
