import { registerConvergenceTests } from "./convergence.suite.ts";

registerConvergenceTests("postgres");
