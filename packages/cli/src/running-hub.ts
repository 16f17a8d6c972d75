import type { HubConfig } from "@maillage/hub/client";
import { MaillageError } from "@maillage/schema";
import type { CliContext, HubClientApi } from "./context.ts";

/** Where the running hub answers, and how we know (for messages). */
export type HubLocation = { url: string; source: string };

/**
 * Finds the running hub: `--hub`, else `HUB_URL`, else the run file `maillage hub start` wrote
 * in the hub's data dir (while its process lives), else `http://127.0.0.1:PORT` (the port from
 * `PORT`, 4000 by default; the hub's HOST when it is not a wildcard).
 */
export async function locateHub(
  api: Pick<HubClientApi, "readHubRun">,
  ctx: CliContext,
  config: HubConfig,
  flag?: string | undefined,
): Promise<HubLocation> {
  if (flag !== undefined) return { url: trimSlash(flag), source: "--hub" };
  if (ctx.env.HUB_URL) return { url: trimSlash(ctx.env.HUB_URL), source: "HUB_URL" };
  const run = await api.readHubRun(config.dataDir);
  if (run !== undefined)
    return { url: trimSlash(run.url), source: `run file of ${config.dataDir}` };
  const wildcard = config.host === "0.0.0.0" || config.host === "::" || config.host === "";
  const host = wildcard
    ? "127.0.0.1"
    : config.host.includes(":")
      ? `[${config.host}]`
      : config.host;
  return {
    url: `http://${host}:${config.port}`,
    source: ctx.env.PORT ? "PORT" : "the default port",
  };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

export type GraphQLAnswer<T> = {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
};

/** POSTs one operation to the hub's /graphql; rejects when the hub cannot be reached. */
export async function askHub<T>(
  ctx: CliContext,
  hub: HubLocation,
  token: string,
  body: { query: string; variables: Record<string, unknown> },
  timeoutMs: number,
): Promise<GraphQLAnswer<T>> {
  const response = await (ctx.fetch ?? globalThis.fetch)(`${hub.url}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const answer = (await response.json().catch(() => ({}))) as Omit<GraphQLAnswer<T>, "status">;
  return { ...answer, status: response.status };
}

export const FABRIQUE_CHECK_QUERY = `query MaillageFabriqueCheck($id: ID!) {
  space(id: $id) { kind name fabrique { name } } }`;

/** How long `hub token` waits for the hub before signing unverified. */
const CHECK_TIMEOUT_MS = 3000;

type Space = { kind: string; name: string; fabrique: { name: string } | null };

/**
 * Asks the running hub whether `fabriqueId` (a raw id) is a fabrique it knows, with a short
 * NATIONAL `token`. An unknown id is NOT_FOUND, a satellite NOT_A_FABRIQUE (both thrown); when
 * the hub cannot say (not running, another hub's keys, an error), the reason is returned and the
 * caller signs unverified.
 */
export async function checkFabrique(
  ctx: CliContext,
  hub: HubLocation,
  token: string,
  fabriqueId: string,
): Promise<{ verified: true } | { verified: false; reason: string }> {
  let answer: GraphQLAnswer<{ space: Space | null }>;
  try {
    answer = await askHub<{ space: Space | null }>(
      ctx,
      hub,
      token,
      { query: FABRIQUE_CHECK_QUERY, variables: { id: fabriqueId } },
      CHECK_TIMEOUT_MS,
    );
  } catch {
    return { verified: false, reason: `no hub answers at ${hub.url} (${hub.source})` };
  }
  const error = answer.errors?.[0];
  if (error !== undefined || answer.data == null) {
    const code = error?.extensions?.code;
    return {
      verified: false,
      reason:
        code === "UNAUTHENTICATED"
          ? `the hub at ${hub.url} (${hub.source}) does not accept this data dir's keys: another hub?`
          : `the hub at ${hub.url} (${hub.source}) answered ${code ?? `HTTP ${answer.status}`}`,
    };
  }
  const space = answer.data.space;
  if (space === null) {
    throw new MaillageError(
      "NOT_FOUND",
      `the hub at ${hub.url} knows no space ${fabriqueId} (see its "fabriques" query)`,
    );
  }
  if (space.kind !== "FABRIQUE") {
    const of = space.fabrique === null ? "" : ` of ${space.fabrique.name}`;
    throw new MaillageError(
      "NOT_A_FABRIQUE",
      `${fabriqueId} is ${space.name}, a satellite${of}: a FABRIQUE_ADMIN token acts for a fabrique`,
    );
  }
  return { verified: true };
}
