import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { pino } from "pino";
import { createHub, type Hub } from "../app.ts";
import { signHubToken } from "../auth/tokens.ts";
import { loadHubConfig } from "../env.ts";

export type Backend = "pglite" | "postgres";

export type GraphQLResponse<T = Record<string, unknown>> = {
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string } & Record<string, unknown> }[];
};

export type TestHub = {
  hub: Hub;
  /** Runs an operation in process (yoga.fetch); `token` becomes the bearer token. */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<GraphQLResponse<T> & { status: number }>;
  nationalToken(): Promise<string>;
  adminToken(fabriqueId: string): Promise<string>;
  /** Empties every table, between tests of one file. */
  reset(): Promise<void>;
  close(): Promise<void>;
};

/**
 * A migrated hub on a throwaway store: PGlite in a temp dir, or a fresh PostgreSQL database
 * created on the server of `DATABASE_URL` (the integration suite) and dropped afterwards.
 */
export async function startTestHub(
  backend: Backend,
  options: { silent?: boolean; onQuery?: (sql: string) => void } = {},
): Promise<TestHub> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-hub-"));
  let dropDatabase = async () => {};
  let databaseUrl: string | undefined;
  if (backend === "postgres") {
    const created = await createThrowawayDatabase();
    databaseUrl = created.url;
    dropDatabase = created.drop;
  }
  const config = loadHubConfig({}, { dataDir, databaseUrl, port: 0, logLevel: "silent" });
  const logger = pino({ level: options.silent === false ? "info" : "silent" });
  const hub = await createHub(config, { logger, onQuery: options.onQuery });
  return {
    hub,
    async gql(query, variables, token) {
      const response = await hub.fetch("http://hub.test/graphql", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as GraphQLResponse<never>) };
    },
    nationalToken: () => signHubToken(hub.keys, config, { role: "NATIONAL" }, "1h"),
    adminToken: (fabriqueId) =>
      signHubToken(hub.keys, config, { role: "FABRIQUE_ADMIN", fabriqueId }, "1h"),
    async reset() {
      await hub.db.prisma.$executeRawUnsafe(
        "TRUNCATE enrolment_code, member, node, space RESTART IDENTITY CASCADE",
      );
    },
    async close() {
      await hub.stop();
      await dropDatabase();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The integration suite's server: DATABASE_URL, else the machine's local PostgreSQL. */
export function postgresServerUrl(env: Record<string, string | undefined>): string {
  return env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
}

export async function createThrowawayDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const serverUrl = postgresServerUrl(process.env);
  const name = `maillage_t_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
