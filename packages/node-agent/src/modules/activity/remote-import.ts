import { issueAgentToken } from "../../identity/tokens.ts";
import type { FetchLike } from "../../sync/hub-client.ts";
import {
  AgentNotRunningError,
  AgentStatusError,
  runningAgentUrl,
} from "../../sync/remote-status.ts";
import type { ActivityImportError } from "./activity-csv.ts";

/** What the running agent answered to an import: the count, or every problem by line. */
export type ActivityImportOutcome =
  | { ok: true; imported: number; emitted: number }
  | { ok: false; errors: ActivityImportError[] };

type GraphQLAnswer = {
  data?: { importActivity?: { imported: number; emitted: number } | null } | null;
  errors?: {
    message: string;
    extensions?: { code?: string; errors?: ActivityImportError[] };
  }[];
};

/**
 * How `maillage agent import-activity` hands a CSV log to the running agent: like `agent
 * status`, it finds the agent's URL in its run file, signs a one-minute FABRIQUE_ADMIN token
 * with the node key, and calls `importActivity` over HTTP (the agent alone opens its database).
 * A refused file is an outcome (its line-numbered problems); an agent that is not running or
 * answers something else throws AgentNotRunningError or AgentStatusError.
 */
export async function sendActivityImport(options: {
  dataDir: string;
  csv: string;
  /** The agent's base URL; default: the one in its run file. */
  url?: string | undefined;
  fetch?: FetchLike | undefined;
}): Promise<ActivityImportOutcome> {
  const base = options.url || (await runningAgentUrl(options.dataDir));
  const token = await issueAgentToken({
    dataDir: options.dataDir,
    role: "FABRIQUE_ADMIN",
    ttl: "1m",
  });
  let response: Response;
  try {
    response = await (options.fetch ?? globalThis.fetch)(new URL("/graphql", base).toString(), {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: "application/json",
      },
      body: JSON.stringify({
        query: "mutation($csv: String!) { importActivity(csv: $csv) { imported emitted } }",
        variables: { csv: options.csv },
      }),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (error) {
    throw new AgentNotRunningError(`no answer from the agent at ${base}`, base, { cause: error });
  }
  const body = (await response.json().catch(() => undefined)) as GraphQLAnswer | undefined;
  const first = body?.errors?.[0];
  if (first?.extensions?.code === "BAD_USER_INPUT" && Array.isArray(first.extensions.errors)) {
    return { ok: false, errors: first.extensions.errors };
  }
  const result = body?.data?.importActivity;
  if (!response.ok || !result || first) {
    throw new AgentStatusError(
      `the agent at ${base} answered ${response.status}${first ? `: ${first.message}` : ""}`,
      response.status,
      first?.extensions?.code,
    );
  }
  return { ok: true, imported: result.imported, emitted: result.emitted };
}
