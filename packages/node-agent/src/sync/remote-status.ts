import fs from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { writeFileAtomically } from "../identity/files.ts";
import { loadNodeCredentials } from "../identity/identity.ts";
import { signAgentToken } from "../identity/tokens.ts";
import type { FetchLike } from "./hub-client.ts";
import type { SyncStatus } from "./status.ts";

/**
 * How `maillage agent status` reaches the running agent without opening its database: the
 * agent writes `<dataDir>/agent.run.json` (its URL and pid) when it starts listening and
 * removes it when it stops; the CLI signs a one-minute FABRIQUE_ADMIN token with the node key
 * and asks GET /sync/status.
 */
export function runFilePath(dataDir: string): string {
  return path.join(dataDir, "agent.run.json");
}

const RunFile = z.object({ url: z.string().url(), pid: z.number().int(), startedAt: z.string() });

export async function writeRunFile(dataDir: string, url: string): Promise<void> {
  const content = { url, pid: process.pid, startedAt: new Date().toISOString() };
  await writeFileAtomically(runFilePath(dataDir), `${JSON.stringify(content, null, 2)}\n`, {
    mode: 0o644,
    replace: true,
  });
}

export async function removeRunFile(dataDir: string): Promise<void> {
  await fs.rm(runFilePath(dataDir), { force: true });
}

/** The agent is not running (no run file), or did not answer at its URL. */
export class AgentNotRunningError extends Error {
  override name = "AgentNotRunningError";
  constructor(
    message: string,
    readonly url: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An answer of /sync/status that is not a status (a bad token, another service). */
export class AgentStatusError extends Error {
  override name = "AgentStatusError";
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** The base URL of the agent running on `dataDir`, from its run file (AgentNotRunningError). */
export async function runningAgentUrl(dataDir: string): Promise<string> {
  const text = await fs.readFile(runFilePath(dataDir), "utf8").catch(() => undefined);
  let run: ReturnType<typeof RunFile.safeParse> | undefined;
  try {
    run = text === undefined ? undefined : RunFile.safeParse(JSON.parse(text));
  } catch {
    run = undefined;
  }
  if (!run?.success) {
    throw new AgentNotRunningError(
      `the agent of ${dataDir} is not running (start it with \`maillage agent start\`)`,
      undefined,
    );
  }
  return run.data.url;
}

export async function fetchAgentStatus(options: {
  dataDir: string;
  /** The agent's base URL; default: the one in its run file. */
  url?: string | undefined;
  fetch?: FetchLike | undefined;
}): Promise<SyncStatus> {
  const { identity, key } = await loadNodeCredentials(options.dataDir);
  const base = options.url || (await runningAgentUrl(options.dataDir));
  const token = await signAgentToken(identity, key, { role: "FABRIQUE_ADMIN", ttl: "1m" });
  const url = new URL("/sync/status", base).toString();
  let response: Response;
  try {
    response = await (options.fetch ?? globalThis.fetch)(url, {
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new AgentNotRunningError(`no answer from the agent at ${base}`, base, { cause: error });
  }
  const body = (await response.json().catch(() => undefined)) as
    | (SyncStatus & { errors?: { message: string; extensions?: { code?: string } }[] })
    | undefined;
  if (!response.ok || !body || body.errors) {
    const first = body?.errors?.[0];
    throw new AgentStatusError(
      `the agent at ${base} answered ${response.status}${first ? `: ${first.message}` : ""}`,
      response.status,
      first?.extensions?.code,
    );
  }
  return body;
}
