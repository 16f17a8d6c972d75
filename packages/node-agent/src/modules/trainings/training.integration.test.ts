import { registerTrainingTests } from "./training.suite.ts";

registerTrainingTests("postgres");
