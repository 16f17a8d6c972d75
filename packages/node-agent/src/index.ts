/**
 * The node agent each fabrique runs: local store, local GraphQL API, outbox and sync engine.
 * Not built yet; the package exists so the workspace, its type check and its imports are in place.
 */
export const NODE_AGENT_VERSION = "0.1.0";
