import { openSqlStore, type SqlStore, type SqlStoreOptions } from "@maillage/storage";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "./generated/prisma/client.ts";

/**
 * The hub's storage: the shared SQL store (embedded PGlite or PostgreSQL) with one Prisma
 * client on top through a driver adapter.
 */
export type Database = {
  store: SqlStore;
  prisma: PrismaClient;
  close(): Promise<void>;
};

export type DatabaseOptions = SqlStoreOptions & {
  /** Called with every SQL statement Prisma sends (tests count them). */
  onQuery?: ((sql: string) => void) | undefined;
};

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const store = await openSqlStore(options);
  const adapter =
    store.driver.kind === "pglite"
      ? new PrismaPGlite(store.driver.pglite)
      : new PrismaPg(store.driver.pool);
  const prisma = options.onQuery
    ? new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] })
    : new PrismaClient({ adapter });
  if (options.onQuery) {
    const onQuery = options.onQuery;
    prisma.$on("query" as never, (event: { query: string }) => onQuery(event.query));
  }
  return {
    store,
    prisma,
    async close() {
      await prisma.$disconnect();
      await store.close();
    },
  };
}
