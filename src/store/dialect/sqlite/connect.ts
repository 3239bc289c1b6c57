import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteDialect } from 'kysely';
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
    dialect: new SqliteDialect({ database: db }),
    isUniqueViolation: (e) => e instanceof Error && 'code' in e && String(e.code).startsWith('SQLITE_CONSTRAINT_UNIQUE'),
    close: async () => {},
  };
}
