import { registerRegistryTests } from "./registry.suite.ts";

registerRegistryTests("pglite");
