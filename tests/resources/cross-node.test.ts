import { registerCrossNodeTests } from "./cross-node.suite.ts";

registerCrossNodeTests("pglite");
