import { registerActivityTests } from "./activity.suite.ts";

registerActivityTests("pglite");
