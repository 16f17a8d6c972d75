export { type Hub, createHub } from "./app.ts";
export { ConfigError, type HubConfig, loadHubConfig } from "./env.ts";
export { issueHubToken } from "./auth/tokens.ts";
export { seedDemoNetwork } from "./demo.ts";
