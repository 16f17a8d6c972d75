import { fileURLToPath } from "node:url";
import { type MigrationSet, readMigrations } from "@maillage/storage";

/** The agent's committed SQL migrations (packages/node-agent/migrations/<name>/migration.sql). */
export const AGENT_MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations", import.meta.url));

/** "agent" as a number: the agent's migration advisory lock (the hub's is 0x687562, "hub"). */
const AGENT_LOCK_KEY = 0x6167656e74;

export async function agentMigrations(): Promise<MigrationSet> {
  return { lockKey: AGENT_LOCK_KEY, migrations: await readMigrations(AGENT_MIGRATIONS_DIR) };
}
