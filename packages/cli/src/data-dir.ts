import type { HubConfig } from "@maillage/hub/client";
import { CommandFailure } from "./args.ts";
import type { AgentClientApi, HubClientApi } from "./context.ts";

/*
 * The commands that work with an existing hub or agent (token, keys, report, status, import)
 * never create keys nor data dirs: given a directory that holds no hub or agent, they say where
 * they looked and how to point elsewhere, in one line, and exit 1.
 */

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

export function noHubIn(dataDir: string): CommandFailure {
  return new CommandFailure(
    `no hub in ${dataDir} (no keys/signing-keys.json there): point to the hub's directory with --data-dir DIR, or set DATA_DIR (the hub lives in DATA_DIR/hub)`,
  );
}

export function noAgentIn(dataDir: string): CommandFailure {
  return new CommandFailure(
    `no node agent in ${dataDir} (no node.json there): point to the agent's directory with --data-dir DIR, or set DATA_DIR (the agent lives in DATA_DIR/agent); "maillage agent init" enrols a new one`,
  );
}

/** Runs `use` with the hub's existing key file; a missing one is the one-line failure. */
export async function withHubKeys<T>(config: HubConfig, use: () => Promise<T>): Promise<T> {
  try {
    return await use();
  } catch (error) {
    if (isMissing(error)) throw noHubIn(config.dataDir);
    throw error;
  }
}

/** Signs with the hub's existing keys (HUB_SIGNING_KEYS or the key file); never creates one. */
export function signWithExistingKeys(
  api: HubClientApi,
  config: HubConfig,
  claims: Parameters<HubClientApi["signWithHubKeys"]>[1],
  ttl: string,
): Promise<string> {
  return withHubKeys(config, () => api.signWithHubKeys(config, claims, ttl));
}

/** Fails in one line unless `dataDir` holds an enrolled node agent's identity. */
export async function requireAgent(api: AgentClientApi, dataDir: string): Promise<void> {
  const identity = await api.readNodeIdentity(dataDir).catch((error: unknown) => {
    if (isMissing(error)) return undefined;
    throw error;
  });
  if (identity === undefined) throw noAgentIn(dataDir);
}
