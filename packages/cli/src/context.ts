import type { Hub, HubConfig } from "@maillage/hub";
import type { Agent, AgentConfig, AgentRole, SyncEngine } from "@maillage/node-agent";

type HubModule = typeof import("@maillage/hub");
type AgentModule = typeof import("@maillage/node-agent");

/** What the CLI does with a hub once built: read its config, call it in process, start, stop. */
export type HubLifecycle = Pick<Hub, "config" | "fetch" | "start" | "stop">;

/**
 * The part of the hub's public API the CLI uses. It is loaded only by the commands that need
 * it, so `--help` and usage errors never import the hub (nor Prisma, PGlite, yoga).
 */
export type HubApi = {
  ConfigError: HubModule["ConfigError"];
  loadHubConfig: HubModule["loadHubConfig"];
  issueHubToken: HubModule["issueHubToken"];
  keyFilePath: HubModule["keyFilePath"];
  listSigningKeys: HubModule["listSigningKeys"];
  rotateSigningKey: HubModule["rotateSigningKey"];
  removeSigningKey: HubModule["removeSigningKey"];
  createHub(config: HubConfig): Promise<HubLifecycle>;
  // Method syntax on purpose: the real function takes the full `Hub` its `createHub` built.
  seedDemoNetwork(hub: HubLifecycle): ReturnType<HubModule["seedDemoNetwork"]>;
  SeedRefusedError: HubModule["SeedRefusedError"];
  // Method syntax: the real function takes the `Hub` its `createHub` built.
  seedHub(
    hub: HubLifecycle,
    options: Parameters<HubModule["seedHub"]>[1],
  ): ReturnType<HubModule["seedHub"]>;
  /** The demo network's fabriques, in the order the demo seeds them. */
  DEMO_NETWORK: readonly { readonly name: string }[];
};

/** What the CLI does with a node agent once built. */
export type AgentLifecycle = Pick<Agent, "config" | "identity" | "fetch" | "start" | "stop"> & {
  sync: Pick<SyncEngine, "status">;
};

/**
 * The part of the node agent's public API the CLI uses, loaded like the hub's: only by the
 * `agent` commands and the demo, never for `--help` (the agent pulls in PGlite and yoga).
 */
export type AgentApi = {
  ConfigError: AgentModule["ConfigError"];
  loadAgentConfig: AgentModule["loadAgentConfig"];
  /** The roles of the agent's own API (`maillage agent token --role`). */
  AgentRole: { readonly options: readonly AgentRole[] };
  initAgent: AgentModule["initAgent"];
  AlreadyEnrolledError: AgentModule["AlreadyEnrolledError"];
  InitInProgressError: AgentModule["InitInProgressError"];
  readNodeIdentity: AgentModule["readNodeIdentity"];
  issueAgentToken: AgentModule["issueAgentToken"];
  fetchAgentStatus: AgentModule["fetchAgentStatus"];
  AgentNotRunningError: AgentModule["AgentNotRunningError"];
  AgentStatusError: AgentModule["AgentStatusError"];
  /** Sends a CSV log to the running agent (`maillage agent import-activity`). */
  sendActivityImport: AgentModule["sendActivityImport"];
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
  loadHub: () => Promise<HubApi>;
  loadAgent: () => Promise<AgentApi>;
  /** HTTP to a running service (`hub report`); tests pass a fake. Default: the global fetch. */
  fetch?: typeof fetch;
};
