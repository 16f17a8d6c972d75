import { registerCrossNodeTests } from "./cross-node.suite.ts";

registerCrossNodeTests("postgres");
