import { registerHealthTests } from "./health.suite.ts";

registerHealthTests("postgres");
