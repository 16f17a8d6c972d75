import { registerMobilitySyncTests } from "./mobility.suite.ts";

registerMobilitySyncTests("postgres");
