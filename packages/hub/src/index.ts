export { createHub, type Hub } from "./app.ts";
export {
  keyFilePath,
  listSigningKeys,
  removeSigningKey,
  rotateSigningKey,
} from "./auth/keys.ts";
export { issueHubToken } from "./auth/tokens.ts";
export { signHubLoginLink } from "./client.ts";
export { DEMO_NETWORK, prepareDemoStorage, seedDemoNetwork } from "./demo.ts";
export { ConfigError, type HubConfig, loadHubConfig } from "./env.ts";
export {
  type SeedOptions,
  type SeedPhase,
  SeedRefusedError,
  type SeedResult,
  seedHub,
  seedNetwork,
} from "./seed/generate.ts";
export { type RebuildResult, rebuildHubRollups } from "./seed/rollups.ts";
