import { registerTrainingSyncTests } from "./trainings.suite.ts";

registerTrainingSyncTests("postgres");
