import { registerActivityTests } from "./activity.suite.ts";

registerActivityTests("postgres");
