import Database from 'better-sqlite3';
import { type DialectAdapter, type Kysely, SqliteAdapter, SqliteDialect, sql } from 'kysely';

/** How long a second process waits for the first one's migrations before failing its start. */
const MIGRATION_WAIT_MS = 60_000;

/**
 * Kysely's SQLite adapter takes no migration lock: it assumes one process. Two processes
 * starting on one fresh file (two `keyward serve`, or one racing `keyward migrate`) would both
 * see a migration pending and both apply it ("table accounts already exists"). This one takes
 * SQLite's write lock for the whole run (BEGIN IMMEDIATE; the other process waits on
 * busy_timeout) and commits at the end, so migrations run once, one process after the other,
 * exactly as Kysely's PostgreSQL lock makes them.
 */
class LockingSqliteAdapter extends SqliteAdapter {
  override async acquireMigrationLock(db: Kysely<unknown>): Promise<void> {
    await sql`begin immediate`.execute(db);
  }
  override async releaseMigrationLock(db: Kysely<unknown>): Promise<void> {
    await sql`commit`.execute(db);
  }
}

class LockingSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new LockingSqliteAdapter();
  }
}

/** A connection of its own for migrating the file at `path`, waiting up to a minute for another process's migrations. */
export function sqliteMigrationDialect(path: string): SqliteDialect {
  return new LockingSqliteDialect({
    database: async () => {
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      db.pragma(`busy_timeout = ${MIGRATION_WAIT_MS}`);
      return db;
    },
  });
}
