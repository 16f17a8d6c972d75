export { createHub, type Hub } from "./app.ts";
export { issueHubToken } from "./auth/tokens.ts";
export { seedDemoNetwork } from "./demo.ts";
export { ConfigError, type HubConfig, loadHubConfig } from "./env.ts";
