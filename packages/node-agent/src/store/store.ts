import { migrate, openSqlStore, type SqlStore } from "@maillage/storage";
import type { Logger } from "../logger.ts";
import { agentMigrations } from "./migrations.ts";

/**
 * Opens the agent's store (PGlite under `<dataDir>/pgdata`, or PostgreSQL) and applies its
 * pending migrations. PGlite is locked to this process: a second agent on the same data dir
 * fails with DataDirInUseError.
 */
export async function openAgentStore(
  options: { databaseUrl: string | undefined; dataDir: string },
  logger: Logger,
): Promise<SqlStore> {
  const store = await openSqlStore(options);
  try {
    const applied = await migrate(store, await agentMigrations());
    if (applied.length > 0) logger.info({ applied }, "migrations applied");
    return store;
  } catch (error) {
    await store.close();
    throw error;
  }
}
