// Used by the Prisma CLI only (`prisma generate`, `prisma migrate diff`).
// At run time the hub builds its own client with a driver adapter (see src/db.ts)
// and applies the committed SQL migrations with its own runner (src/migrate.ts).
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import type { PrismaConfig } from "prisma";

export default {
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  // An in-memory database, only ever opened by `migrate diff`; generate does not connect.
  // biome-ignore lint/suspicious/noExplicitAny: the adapter's types lag behind the CLI's.
  adapter: async () => new PrismaPGlite(new PGlite()) as any,
} satisfies PrismaConfig;
