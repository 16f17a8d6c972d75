import { registerRegistryTests } from "./registry.suite.ts";

registerRegistryTests("postgres");
