/**
 * The node agent each fabrique runs: local store, local GraphQL API, outbox and sync engine.
 * The only barrel of the package; `@maillage/node-agent/testing` holds the test fixtures.
 */
export { type Agent, type AgentDeps, createAgent } from "./app.ts";
export {
  type AgentConfig,
  ConfigError,
  DEFAULT_SYNC_SETTINGS,
  loadAgentConfig,
} from "./env.ts";
export { identityFilePath, keyFilePath } from "./identity/files.ts";
export {
  loadNodeCredentials,
  type NodeIdentity,
  readNodeIdentity,
} from "./identity/identity.ts";
export {
  AlreadyEnrolledError,
  type InitAgentOptions,
  InitInProgressError,
  initAgent,
} from "./identity/init.ts";
export {
  type AgentLoginLinkRequest,
  issueAgentLoginLink,
  signAgentLoginLinkToken,
} from "./identity/login-links.ts";
export {
  AgentRole,
  agentAudience,
  issueAgentToken,
  signNodeToken,
} from "./identity/tokens.ts";
export type { ActivityImportError } from "./modules/activity/activity-csv.ts";
export {
  type ActivityImportOutcome,
  sendActivityImport,
} from "./modules/activity/remote-import.ts";
export type { SyncEngine } from "./sync/engine.ts";
export { createHubClient, type FetchLike } from "./sync/hub-client.ts";
export {
  AgentNotRunningError,
  AgentStatusError,
  fetchAgentStatus,
  runFilePath,
} from "./sync/remote-status.ts";
export type { PoisonedChange, SyncStatus } from "./sync/status.ts";

export const NODE_AGENT_VERSION = "0.1.0";
