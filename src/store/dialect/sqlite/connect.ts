import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type SqliteDatabase, SqliteDialect } from 'kysely';
import type { ConnectOptions, DialectConnection, MessageBus } from '../types.js';
import { sqliteChangeLogBus } from './change-log-bus.js';
import { FALLBACK_AUTOCHECKPOINT_PAGES, WalCheckpointer } from './checkpointer.js';
import { isSqliteUnavailable } from './is-unavailable.js';
import { sqliteMigrationDialect } from './migration-lock.js';

/** `sqlite:./data/keyward.db`, `sqlite:///abs/path.db` or `sqlite::memory:`. */
export function connectSqlite(url: string, opts: ConnectOptions): DialectConnection {
  const path = url.replace(/^sqlite:(\/\/)?/, '');
  if (path !== ':memory:') createOwnerOnly(path);
  const db = new Database(path);
  // WAL lets readers proceed while a writer commits; busy_timeout rides out a second process
  // holding the write lock, for as long as a PostgreSQL statement may run.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${Math.max(1, Math.floor(opts.statementTimeoutMs))}`);
  const buses: MessageBus[] = [];
  const reader = path === ':memory:' ? undefined : readConnection(path, opts);
  // Checkpoints run on a worker thread (checkpointer.ts); this connection's own is a fallback.
  let checkpointer: WalCheckpointer | undefined;
  if (path !== ':memory:') {
    db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    checkpointer = new WalCheckpointer(path, opts.onBackgroundError);
  }
  const statements = withStatementCache(db);
  return {
    name: 'sqlite',
    dialect: new SqliteDialect({ database: statements }),
    // Kysely's own connection and prepared statements: see DialectConnection.writeNow for when.
    writeNow: (sql, params) => (statements.prepare(sql) as Database.Statement).run(...params).changes,
    isUniqueViolation: (e) => e instanceof Error && 'code' in e && String(e.code).startsWith('SQLITE_CONSTRAINT_UNIQUE'),
    isUnavailable: isSqliteUnavailable,
    skipLocked: (qb) => qb,
    // Other processes may open the same file; nobody else can see an in-memory database.
    ...(path !== ':memory:' && {
      // Its own connection, holding SQLite's write lock while migrating (migration-lock.ts).
      migrationDialect: () => sqliteMigrationDialect(path),
      messageBus(kysely) {
        const bus = sqliteChangeLogBus(kysely);
        buses.push(bus);
        return bus;
      },
      readRowsNow: reader?.readRowsNow,
    }),
    close: async () => {
      await Promise.all(buses.map((b) => b.close()));
      await checkpointer?.close();
      reader?.close();
    },
  };
}

const MAX_READ_STATEMENTS = 16;

/**
 * A second connection to the same file, for the few hot reads that run synchronously outside
 * Kysely (`readRowsNow`: the verification lookup). better-sqlite3 answers synchronously, so a
 * read costs no promise, no connection mutex and no query compilation. Its own connection, not
 * Kysely's: that one may be inside a transaction (the usage flush, any service call), whose
 * uncommitted rows a read must not see and whose end it must not wait for. In WAL mode this
 * connection sees every committed transaction at once and never blocks on the writer. Opened on
 * first use (after migrations made the file), read-only by `query_only`.
 */
function readConnection(path: string, opts: ConnectOptions) {
  let db: Database.Database | undefined;
  const statements = new Map<string, Database.Statement>();
  const open = () => {
    const conn = new Database(path, { fileMustExist: true });
    conn.pragma(`busy_timeout = ${Math.max(1, Math.floor(opts.statementTimeoutMs))}`);
    conn.pragma('query_only = ON');
    return conn;
  };
  return {
    readRowsNow(sql: string, params: readonly unknown[]): unknown[][] {
      db ??= open();
      let statement = statements.get(sql);
      if (statement === undefined) {
        if (statements.size >= MAX_READ_STATEMENTS) statements.clear();
        statement = db.prepare(sql).raw(true);
        if (!statement.reader) throw new Error('readRowsNow: not a query that returns rows');
        statements.set(sql, statement);
      }
      return statement.all(...params) as unknown[][];
    },
    close() {
      statements.clear();
      db?.close();
      db = undefined;
    },
  };
}

/**
 * The database holds password hashes, key hashes and sealed secrets: a new data folder is
 * created 0700 and a new database file 0600 before SQLite opens it. SQLite creates the -wal
 * and -shm files with the database file's permissions, so they are 0600 too. Existing
 * files and folders keep the modes the operator gave them.
 */
function createOwnerOnly(path: string): void {
  const dir = dirname(path);
  // The mode is filtered through the umask; chmod makes it exact for the folder that holds the file.
  if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(dir, 0o700);
  if (existsSync(path)) return;
  // An empty file is a valid empty database. Not exclusive: a second process starting at
  // the same moment opens the same file, and the mode applies only to whoever creates it.
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}

const MAX_STATEMENTS = 256;
const MAX_CACHED_SQL_LENGTH = 4096;

/**
 * better-sqlite3 as Kysely's driver sees it, keeping prepared statements by their SQL text.
 * Kysely prepares every query anew; for the verification lookup (a three-table join) that
 * preparing cost more than running it. Reusing a statement is safe here: better-sqlite3 runs
 * each one to completion synchronously, and Kysely holds the single connection for the whole
 * of a streamed query. Long statements (bulk inserts of varying size) are not kept; the oldest
 * entry goes when the cache is full.
 */
function withStatementCache(db: Database.Database): SqliteDatabase {
  const statements = new Map<string, Database.Statement>();
  return {
    close: () => db.close(),
    prepare(sql: string) {
      const cached = statements.get(sql);
      if (cached !== undefined) return cached;
      const statement = db.prepare(sql);
      if (sql.length <= MAX_CACHED_SQL_LENGTH) {
        if (statements.size >= MAX_STATEMENTS) {
          const oldest = statements.keys().next().value;
          if (oldest !== undefined) statements.delete(oldest);
        }
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
