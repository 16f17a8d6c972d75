import { fileURLToPath } from "node:url";
import { type MigrationSet, readMigrations } from "@maillage/storage";

/** The hub's committed SQL migrations, produced with `prisma migrate diff`. */
export const HUB_MIGRATIONS_DIR = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

/** "hub" as a number: the hub's migration advisory lock. */
const HUB_LOCK_KEY = 0x687562;

export async function hubMigrations(): Promise<MigrationSet> {
  return { lockKey: HUB_LOCK_KEY, migrations: await readMigrations(HUB_MIGRATIONS_DIR) };
}
