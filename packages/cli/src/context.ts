import type { Hub, HubConfig } from "@maillage/hub";
import type { Agent, AgentConfig, AgentRole, SyncEngine } from "@maillage/node-agent";

type HubModule = typeof import("@maillage/hub");
type HubClientModule = typeof import("@maillage/hub/client");
type AgentModule = typeof import("@maillage/node-agent");
type AgentClientModule = typeof import("@maillage/node-agent/client");

/** What the CLI does with a hub once built: read its config, call it in process, start, stop. */
export type HubLifecycle = Pick<Hub, "config" | "fetch" | "start" | "stop">;

/**
 * What the commands that work with an existing hub use (`hub token`, `hub keys`, `hub report`):
 * its config, its key file, its run file. Loaded from `@maillage/hub/client`, which imports
 * neither the hub's server nor Prisma nor PGlite: such a command starts in a fraction of a second.
 */
export type HubClientApi = {
  ConfigError: HubClientModule["ConfigError"];
  loadHubConfig: HubClientModule["loadHubConfig"];
  /** Signs with the existing keys; ENOENT when the data dir holds no key file. */
  signWithHubKeys: HubClientModule["signWithHubKeys"];
  /** A one-time sign-in link `<url>/login?t=…` signed with the existing keys (web app). */
  signHubLoginLink: HubClientModule["signHubLoginLink"];
  keyFilePath: HubClientModule["keyFilePath"];
  listSigningKeys: HubClientModule["listSigningKeys"];
  rotateSigningKey: HubClientModule["rotateSigningKey"];
  removeSigningKey: HubClientModule["removeSigningKey"];
  readHubRun: HubClientModule["readHubRun"];
  writeHubRunFile: HubClientModule["writeHubRunFile"];
  removeHubRunFile: HubClientModule["removeHubRunFile"];
};

/**
 * The part of the hub's public API the commands that run a hub use (`hub start`, `seed`,
 * `demo`). It is loaded only by them, so `--help`, usage errors and the client commands never
 * import the hub (nor Prisma, PGlite, yoga).
 */
export type HubApi = HubClientApi & {
  issueHubToken: HubModule["issueHubToken"];
  createHub(config: HubConfig): Promise<HubLifecycle>;
  // Method syntax on purpose: the real function takes the full `Hub` its `createHub` built.
  seedDemoNetwork(
    hub: HubLifecycle,
    options?: Parameters<HubModule["seedDemoNetwork"]>[1],
  ): ReturnType<HubModule["seedDemoNetwork"]>;
  prepareDemoStorage: HubModule["prepareDemoStorage"];
  SeedRefusedError: HubModule["SeedRefusedError"];
  // Method syntax: the real function takes the `Hub` its `createHub` built.
  seedHub(
    hub: HubLifecycle,
    options: Parameters<HubModule["seedHub"]>[1],
  ): ReturnType<HubModule["seedHub"]>;
  /** `hub rebuild-rollups`: opens the hub's storage itself (never createHub: nothing created). */
  rebuildHubRollups: HubModule["rebuildHubRollups"];
  /** The demo network's fabriques, in the order the demo seeds them. */
  DEMO_NETWORK: readonly { readonly name: string }[];
};

/** What the CLI does with a node agent once built. */
export type AgentLifecycle = Pick<Agent, "config" | "identity" | "fetch" | "start" | "stop"> & {
  sync: Pick<SyncEngine, "status">;
};

/**
 * What the commands that work with an existing agent use (`agent token`, `agent status`,
 * `agent import-activity`): its config, identity and key files, its HTTP API through its run
 * file. Loaded from `@maillage/node-agent/client`, without the agent's server or store.
 */
export type AgentClientApi = {
  ConfigError: AgentClientModule["ConfigError"];
  loadAgentConfig: AgentClientModule["loadAgentConfig"];
  /** The roles of the agent's own API (`maillage agent token --role`). */
  AgentRole: { readonly options: readonly AgentRole[] };
  readNodeIdentity: AgentClientModule["readNodeIdentity"];
  issueAgentToken: AgentClientModule["issueAgentToken"];
  /** A one-time sign-in link `<url>/login?t=…` of the agent's web app. */
  issueAgentLoginLink: AgentClientModule["issueAgentLoginLink"];
  /** The running agent's base URL, from its run file (AgentNotRunningError otherwise). */
  runningAgentUrl: AgentClientModule["runningAgentUrl"];
  fetchAgentStatus: AgentClientModule["fetchAgentStatus"];
  AgentNotRunningError: AgentClientModule["AgentNotRunningError"];
  AgentStatusError: AgentClientModule["AgentStatusError"];
  /** Sends a CSV log to the running agent (`maillage agent import-activity`). */
  sendActivityImport: AgentClientModule["sendActivityImport"];
};

/**
 * The part of the node agent's public API the commands that enrol or run an agent use
 * (`agent init`, `agent start`, `demo`), loaded like the hub's: never for `--help` nor the
 * client commands (the agent pulls in PGlite and yoga).
 */
export type AgentApi = AgentClientApi & {
  initAgent: AgentModule["initAgent"];
  AlreadyEnrolledError: AgentModule["AlreadyEnrolledError"];
  InitInProgressError: AgentModule["InitInProgressError"];
  createAgent(config: AgentConfig): Promise<AgentLifecycle>;
};

/**
 * Everything a command may use from the outside world. `main.ts` builds the real one from
 * `process`; tests pass their own, so no test needs a child process, a real hub or agent.
 */
export type CliContext = {
  stdout: (text: string) => void;
  /** True when stdout is a terminal (progress bars redraw in place). */
  stdoutIsTTY?: boolean;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Relative `--data-dir` values are resolved against this directory. */
  cwd: string;
  /** Resolves with the signal's name when the process is asked to stop (SIGINT or SIGTERM). */
  untilStopSignal: () => Promise<string>;
  /** The light APIs, for the commands that work with an existing hub or agent. */
  loadHubClient: () => Promise<HubClientApi>;
  loadAgentClient: () => Promise<AgentClientApi>;
  /** The full APIs, for the commands that run a hub or an agent. */
  loadHub: () => Promise<HubApi>;
  loadAgent: () => Promise<AgentApi>;
  /** HTTP to a running hub (`hub report`, `hub token`); tests pass a fake. Default: the global fetch. */
  fetch?: typeof fetch;
};
