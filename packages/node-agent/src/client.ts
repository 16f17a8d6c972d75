/**
 * The node agent's light entry, `@maillage/node-agent/client`: what a program needs to work with
 * an existing agent without running one (`maillage agent token`, `agent status`,
 * `agent import-activity`): its configuration, its identity and key files, tokens signed with
 * its key, and its HTTP API found through its run file. It loads neither the agent's server nor
 * its store (PGlite), so such a command starts in a fraction of a second. The full agent is
 * `@maillage/node-agent`.
 */
export { type AgentConfig, ConfigError, loadAgentConfig } from "./env.ts";
export { identityFilePath, keyFilePath } from "./identity/files.ts";
export { type NodeIdentity, readNodeIdentity } from "./identity/identity.ts";
export { type AgentLoginLinkRequest, issueAgentLoginLink } from "./identity/login-links.ts";
export { AgentRole, issueAgentToken } from "./identity/tokens.ts";
export {
  type ActivityImportOutcome,
  sendActivityImport,
} from "./modules/activity/remote-import.ts";
export {
  AgentNotRunningError,
  AgentStatusError,
  fetchAgentStatus,
  runFilePath,
  runningAgentUrl,
} from "./sync/remote-status.ts";
