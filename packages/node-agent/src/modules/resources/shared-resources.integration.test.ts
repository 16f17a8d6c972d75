import { registerSharedResourceTests } from "./shared-resources.suite.ts";

registerSharedResourceTests("postgres");
