import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  type DemoLinkTarget,
  type DemoNetwork,
  startDemoNetwork,
} from "../../../packages/cli/src/demo.ts";

export type { DemoLinkTarget, DemoNetwork };

/** The web app's build (`npm run test:browser` makes it first). */
const WEB_DIST = fileURLToPath(new URL("../../../packages/web/dist", import.meta.url));

/** The demo network of one test file, in its own temporary DATA_DIR. */
export type WebDemo = {
  demo: DemoNetwork;
  dataDir: string;
  /** How long the demo took to start (seeding a year of history included), in ms. */
  startMs: number;
  /** Stops the agents and the hub (once), then removes the data directory. */
  stop(): Promise<void>;
};

/**
 * Starts the demo network as `npm start` does, in process, on free ports (PORT=0) in a fresh
 * temporary DATA_DIR. One per test file: each seeds a year of history and runs three servers.
 */
export async function startWebDemo(): Promise<WebDemo> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-web-test-"));
  const started = Date.now();
  let demo: DemoNetwork;
  try {
    // A copy of the build: the servers keep serving the same files while someone rebuilds
    // packages/web/dist (vite empties it, and the lazy chunks' names change).
    const webDir = path.join(dataDir, "web");
    await fs.cp(WEB_DIST, webDir, { recursive: true });
    await fs.access(path.join(webDir, "index.html")).catch(() => {
      throw new Error(`no web app build in ${WEB_DIST}: run npx vite build in packages/web`);
    });
    demo = await startDemoNetwork({
      env: { PORT: "0", DATA_DIR: dataDir, LOG_LEVEL: "error", WEB_DIR: webDir },
    });
  } catch (error) {
    await fs.rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const startMs = Date.now() - started;
  let stopped: Promise<void> | undefined;
  return {
    demo,
    dataDir,
    startMs,
    stop() {
      stopped ??= (async () => {
        try {
          await demo.stop();
        } finally {
          await fs.rm(dataDir, { recursive: true, force: true });
        }
      })();
      return stopped;
    },
  };
}

/** The agent's API as its FABRIQUE_ADMIN token sees it (setting up what a test needs). */
export async function agentGraphQL<T>(
  demo: DemoNetwork,
  agent: number,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const banner = demo.agents[agent];
  if (!banner) throw new Error(`the demo has no agent ${agent}`);
  return graphQL<T>(`${banner.url}/graphql`, banner.token, query, variables);
}

/** The hub's API with the demo's NATIONAL token. */
export async function hubGraphQL<T>(
  demo: DemoNetwork,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  return graphQL<T>(`${demo.hubUrl}/graphql`, demo.banner.token, query, variables);
}

async function graphQL<T>(
  url: string,
  token: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length || !body.data) {
    throw new Error(`${url}: ${body.errors?.[0]?.message ?? response.status}`);
  }
  return body.data;
}
