import fs from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "./generated/prisma/client.ts";

/** A connection that can run the multi-statement SQL of a migration file. */
export type SqlSession = {
  exec(sql: string): Promise<void>;
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
};

/**
 * The hub's storage: one Prisma client over a driver adapter, plus raw sessions for the
 * migration runner and the readiness probe. Embedded PGlite under `dataDir` when no
 * `databaseUrl` is given, PostgreSQL otherwise — same SQL, same migrations.
 */
export type Database = {
  kind: "pglite" | "postgres";
  prisma: PrismaClient;
  /** Runs `fn` on one dedicated connection (session-level advisory locks need one). */
  withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

export type DatabaseOptions = {
  databaseUrl: string | undefined;
  dataDir: string;
  /** Called with every SQL statement Prisma sends (tests count them). */
  onQuery?: ((sql: string) => void) | undefined;
};

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.onQuery);
  return openPGlite(path.join(options.dataDir, "pgdata"), options.onQuery);
}

function createClient(adapter: PrismaPg | PrismaPGlite, onQuery: DatabaseOptions["onQuery"]) {
  if (!onQuery) return new PrismaClient({ adapter });
  const prisma = new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] });
  prisma.$on("query", (event) => onQuery(event.query));
  return prisma;
}

async function openPostgres(url: string, onQuery: DatabaseOptions["onQuery"]): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on("error", () => {
    // An idle client lost its connection; the pool replaces it. Queries report their own errors.
  });
  const prisma = createClient(new PrismaPg(pool), onQuery);
  return {
    kind: "postgres",
    prisma,
    async withSession(fn) {
      const client = await pool.connect();
      try {
        return await fn({
          async exec(sql) {
            await client.query(sql);
          },
          async query(sql, params) {
            return (await client.query(sql, params)).rows;
          },
        });
      } finally {
        client.release();
      }
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function openPGlite(dir: string, onQuery: DatabaseOptions["onQuery"]): Promise<Database> {
  await fs.mkdir(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const prisma = createClient(new PrismaPGlite(db), onQuery);
  const session: SqlSession = {
    async exec(sql) {
      await db.exec(sql);
    },
    async query<Row>(sql: string, params?: unknown[]) {
      return (await db.query<Row>(sql, params)).rows;
    },
  };
  return {
    kind: "pglite",
    prisma,
    // PGlite is a single connection: every session is that connection.
    withSession: (fn) => fn(session),
    async close() {
      await prisma.$disconnect();
      await db.close();
    },
  };
}
