import type { Hub, HubConfig } from "@maillage/hub";

type HubModule = typeof import("@maillage/hub");

/** What the CLI does with a hub once built: read its config, start it, stop it. */
export type HubLifecycle = Pick<Hub, "config" | "start" | "stop">;

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
};

/**
 * Everything a command may use from the outside world. `main.ts` builds the real one from
 * `process`; tests pass their own, so no test needs a child process or a real hub.
 */
export type CliContext = {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Relative `--data-dir` values are resolved against this directory. */
  cwd: string;
  /** Resolves with the signal's name when the process is asked to stop (SIGINT or SIGTERM). */
  untilStopSignal: () => Promise<string>;
  loadHub: () => Promise<HubApi>;
};
