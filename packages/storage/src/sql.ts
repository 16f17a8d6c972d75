import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { btree_gist } from "@electric-sql/pglite/contrib/btree_gist";
import pg from "pg";

/**
 * The storage both services share: embedded PGlite under a data directory when no URL is
 * given, PostgreSQL otherwise. Same SQL, same migrations; the hub puts Prisma on top, the
 * node agent uses plain SQL.
 */

/** One connection that can run multi-statement SQL and parameterised queries. */
export type SqlSession = {
  exec(sql: string): Promise<void>;
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
};

export type SqlDriver = { kind: "pglite"; pglite: PGlite } | { kind: "postgres"; pool: pg.Pool };

export type SqlStore = SqlSession & {
  driver: SqlDriver;
  /** Runs `fn` on one dedicated connection (session-level advisory locks need one). */
  withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

export type SqlStoreOptions = {
  /** postgresql://… ; absent: embedded PGlite under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
};

/** The embedded database's cluster under a data directory. */
export function embeddedClusterDir(dataDir: string): string {
  return path.join(dataDir, "pgdata");
}

/** Does the data directory hold an embedded database (an initialised cluster)? */
export function embeddedDatabaseExists(dataDir: string): boolean {
  return existsSync(path.join(embeddedClusterDir(dataDir), "PG_VERSION"));
}

export async function openSqlStore(options: SqlStoreOptions): Promise<SqlStore> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl);
  return openPGlite(embeddedClusterDir(options.dataDir));
}

function pgSession(client: pg.Pool | pg.PoolClient): SqlSession {
  return {
    async exec(sql) {
      await client.query(sql);
    },
    async query<Row>(sql: string, params?: unknown[]) {
      return (await client.query(sql, params)).rows as Row[];
    },
  };
}

async function openPostgres(url: string): Promise<SqlStore> {
  // Timestamps without time zone hold UTC everywhere (Prisma writes UTC): make the session's
  // defaults (CURRENT_TIMESTAMP) agree whatever the server's time zone.
  const pool = new pg.Pool({ connectionString: url, max: 10, options: "-c TimeZone=UTC" });
  pool.on("error", () => {
    // An idle client lost its connection; the pool replaces it. Queries report their own errors.
  });
  async function withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      return await fn(pgSession(client));
    } finally {
      client.release();
    }
  }
  return {
    ...pgSession(pool),
    driver: { kind: "postgres", pool },
    withSession,
    transaction: (fn) =>
      withSession(async (session) => {
        await session.exec("BEGIN");
        try {
          const result = await fn(session);
          await session.exec("COMMIT");
          return result;
        } catch (error) {
          await session.exec("ROLLBACK");
          throw error;
        }
      }),
    close: () => pool.end(),
  };
}

/**
 * PGlite allows one process per data directory, and a second one would hang rather than
 * fail. A lock file with the owner's pid turns that into a clear error.
 */
async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const lock = path.join(dir, "maillage.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(lock, String(process.pid), { flag: "wx" });
      return () => fs.rm(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number.parseInt(await fs.readFile(lock, "utf8").catch(() => ""), 10);
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new DataDirInUseError(dir, owner);
      }
      await fs.rm(lock, { force: true }); // left behind by a process that died
    }
  }
  throw new DataDirInUseError(dir, undefined);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number | undefined,
  ) {
    super(
      `the embedded database in ${dir} is in use${pid ? ` by process ${pid}` : ""}; ` +
        "stop that process, or give this one another data directory",
    );
    this.name = "DataDirInUseError";
  }
}

async function openPGlite(dir: string): Promise<SqlStore> {
  await fs.mkdir(dir, { recursive: true });
  const unlock = await lockDataDir(dir);
  let db: PGlite;
  try {
    db = await PGlite.create(dir, { extensions: { btree_gist } });
  } catch (error) {
    await unlock();
    throw error;
  }
  await db.exec("SET TIME ZONE 'UTC'");
  const session: SqlSession = {
    async exec(sql) {
      await db.exec(sql);
    },
    async query<Row>(sql: string, params?: unknown[]) {
      return (await db.query<Row>(sql, params)).rows;
    },
  };
  return {
    ...session,
    driver: { kind: "pglite", pglite: db },
    // PGlite is a single connection: every session is that connection.
    withSession: (fn) => fn(session),
    // PGlite queues other queries while a transaction runs.
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({
          async exec(sql) {
            await tx.exec(sql);
          },
          async query<Row>(sql: string, params?: unknown[]) {
            return (await tx.query<Row>(sql, params)).rows;
          },
        }),
      ),
    async close() {
      await db.close();
      await unlock();
    },
  };
}
