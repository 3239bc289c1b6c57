import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type SqliteDatabase, SqliteDialect } from 'kysely';
import type { DialectConnection } from '../types.js';

/** `sqlite:./data/keyward.db`, `sqlite:///abs/path.db` or `sqlite::memory:`. */
export function connectSqlite(url: string): DialectConnection {
  const path = url.replace(/^sqlite:(\/\/)?/, '');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  // WAL lets readers proceed while a writer commits; busy_timeout rides out a second process.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return {
    name: 'sqlite',
    dialect: new SqliteDialect({ database: withStatementCache(db) }),
    isUniqueViolation: (e) => e instanceof Error && 'code' in e && String(e.code).startsWith('SQLITE_CONSTRAINT_UNIQUE'),
    close: async () => {},
  };
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
