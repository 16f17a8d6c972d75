import { registerResourceTests } from "./resource.suite.ts";

registerResourceTests("postgres");
