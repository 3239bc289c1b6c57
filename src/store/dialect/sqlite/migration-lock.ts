import Database from 'better-sqlite3';
import { type DialectAdapter, type Kysely, SqliteAdapter, SqliteDialect, sql } from 'kysely';

/** How long a second process waits for the first one's migrations before failing its start. */
const MIGRATION_WAIT_MS = 60_000;
/** How long one attempt at the lock may wait (synchronously), and the pause between attempts. */
const LOCK_ATTEMPT_MS = 50;
const LOCK_RETRY_MS = 25;

/**
 * Kysely's SQLite adapter takes no migration lock: it assumes one process. Two processes
 * starting on one fresh file (two `keyward serve`, or one racing `keyward migrate`) would both
 * see a migration pending and both apply it ("table accounts already exists"). This one takes
 * SQLite's write lock for the whole run (BEGIN IMMEDIATE; the other process waits on
 * busy_timeout, in short attempts) and commits at the end, so migrations run once, one process after the other,
 * exactly as Kysely's PostgreSQL lock makes them.
 */
class LockingSqliteAdapter extends SqliteAdapter {
  private locked = false;

  override async acquireMigrationLock(db: Kysely<unknown>): Promise<void> {
    // Asked with a short busy wait, again and again, rather than one long one: better-sqlite3
    // waits synchronously, and a long wait would freeze this process's event loop, so another
    // connection of this same process holding the lock could never finish and release it.
    const deadline = Date.now() + MIGRATION_WAIT_MS;
    for (;;) {
      try {
        await sql`begin immediate`.execute(db);
        this.locked = true;
        return;
      } catch (e) {
        // The store's guard turns SQLITE_BUSY into STORE_UNAVAILABLE, with the driver's error as its cause.
        const busy = [e, (e as { cause?: unknown }).cause].some((x) => (x as { code?: string } | undefined)?.code === 'SQLITE_BUSY');
        if (!busy || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, LOCK_RETRY_MS));
      }
    }
  }

  override async releaseMigrationLock(db: Kysely<unknown>): Promise<void> {
    // Only a lock this run took: after a failed acquire there is nothing to commit, and the
    // acquire's own error is the one to report.
    if (!this.locked) return;
    this.locked = false;
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
      db.pragma(`busy_timeout = ${LOCK_ATTEMPT_MS}`);
      return db;
    },
  });
}
