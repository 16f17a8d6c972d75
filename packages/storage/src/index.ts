export {
  appliedMigrations,
  type Migration,
  type MigrationSet,
  migrate,
  pendingMigrations,
  readMigrations,
} from "./migrate.ts";
export {
  DataDirInUseError,
  embeddedClusterDir,
  embeddedDatabaseExists,
  openSqlStore,
  type SqlDriver,
  type SqlSession,
  type SqlStore,
  type SqlStoreOptions,
} from "./sql.ts";
