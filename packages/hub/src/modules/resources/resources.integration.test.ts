import { registerResourceTests } from "./resources.suite.ts";

registerResourceTests("postgres");
