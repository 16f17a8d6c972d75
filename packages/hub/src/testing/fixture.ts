import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createThrowawayDatabase, seedPgliteStore } from "@maillage/storage/testing";
import { pino } from "pino";
import { createHub, type Hub } from "../app.ts";
import { signHubToken } from "../auth/tokens.ts";
import { loadHubConfig } from "../env.ts";
import { hubMigrations } from "../migrate.ts";

export type Backend = "pglite" | "postgres";

export type GraphQLResponse<T = Record<string, unknown>> = {
  data?: T | null;
  errors?: {
    message: string;
    path?: string[];
    extensions?: { code?: string } & Record<string, unknown>;
  }[];
};

/**
 * Seeds `<dataDir>/pgdata` from the test run's migrated hub template (seedPgliteStore), for a
 * test that builds its hub with createHub itself; false outside vitest (nothing done).
 */
export async function seedHubStore(dataDir: string): Promise<boolean> {
  return seedPgliteStore(dataDir, await hubMigrations());
}

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
  options: { silent?: boolean; onQuery?: (sql: string) => void; webDir?: string } = {},
): Promise<TestHub> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-hub-"));
  let dropDatabase = async () => {};
  let databaseUrl: string | undefined;
  if (backend === "postgres") {
    const created = await createThrowawayDatabase();
    databaseUrl = created.url;
    dropDatabase = created.drop;
  } else {
    await seedHubStore(dataDir);
  }
  const config = loadHubConfig(
    {},
    {
      dataDir,
      databaseUrl,
      port: 0,
      logLevel: "silent",
      ...(options.webDir ? { webDir: options.webDir } : {}),
    },
  );
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
        `TRUNCATE network_event, activity_rollup, activity_report, booking_rollup, resource_rollup,
           change_log, enrolment_code, booking_request, booking, credential, status_list,
           training_rollup, enrolment, enrolment_request, training, resource, member, node, space,
           pass, visit, tariff, mobility_presence, mobility_rollup, login_link_use, space_rollup,
           space_activity_rollup, space_commune_rollup
         RESTART IDENTITY CASCADE`,
      );
      hub.spacesChanged();
    },
    async close() {
      await hub.stop();
      await dropDatabase();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
