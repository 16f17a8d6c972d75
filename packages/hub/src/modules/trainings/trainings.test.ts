import { registerTrainingSyncTests } from "./trainings.suite.ts";

registerTrainingSyncTests("pglite");
