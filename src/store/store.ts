import { Kysely, Migrator, type SelectQueryBuilder, sql } from 'kysely';
import { isKeywardError } from '../core/errors.js';
import { connectDialect } from './dialect/index.js';
import type { MessageBus } from './dialect/types.js';
import { guardDialect, type StoreLogger, summarizeError } from './guarded-dialect.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Database } from './schema.js';

export type { BusListener, MessageBus } from './dialect/types.js';
export type { StoreLogger } from './guarded-dialect.js';

/** A Kysely handle: the root connection or an open transaction, interchangeably. */
export type Db = Kysely<Database>;

export interface Store {
  readonly db: Db;
  /** `sqlite` or `postgres`: for display and metrics only, never for branching. */
  readonly dialectName: string;
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  isUniqueViolation(error: unknown): boolean;
  /** Row claiming that lets concurrent claimers pass over each other's rows (see DialectConnection.skipLocked). */
  skipLocked<DB, TB extends keyof DB, O>(qb: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /**
   * Whether an error means the database could not be reached or did not answer in time:
   * `KeywardError('STORE_UNAVAILABLE')`, which every query failing that way throws, or the
   * driver's own error for it.
   */
  isUnavailable(error: unknown): boolean;
  /** One trivial query, bounded like every other: resolves when the database answers. */
  ping(): Promise<void>;
  migrate(): Promise<string[]>;
  /**
   * A channel between the processes sharing this database (the cache invalidation relay uses
   * it when no Redis is configured); absent when no other process can share it. After migrate().
   */
  messageBus?(): MessageBus;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Longest one statement may run (KEYWARD_DB_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs?: number;
  /** Longest a connection may take to open or to come free (KEYWARD_DB_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
  /** Where losing and regaining the database is reported. */
  log?: StoreLogger;
}

export const DEFAULT_STATEMENT_TIMEOUT_MS = 2000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 3000;

/** Without a logger (CLI commands, tests), the database going away is still said, on stderr. */
export const STDERR_LOGGER: StoreLogger = {
  warn: (obj, msg) => {
    const err = (obj as { err?: { message?: unknown } }).err;
    console.warn(`keyward: ${msg}${typeof err?.message === 'string' ? ` (${err.message})` : ''}`);
  },
  info: () => {},
};

export function openStore(url: string, opts: StoreOptions = {}): Store {
  const log = opts.log ?? STDERR_LOGGER;
  const conn = connectDialect(url, {
    statementTimeoutMs: opts.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    onBackgroundError: (err) =>
      log.warn({ err: summarizeError(err) }, 'database connection lost while idle; a new one opens on the next query'),
  });
  const guarded = (dialect: typeof conn.dialect) => guardDialect(dialect, conn.isUnavailable, log);
  const db = new Kysely<Database>({ dialect: guarded(conn.dialect) });
  const bus = conn.messageBus;
  const isUnavailable = (e: unknown) => (isKeywardError(e) && e.code === 'STORE_UNAVAILABLE') || conn.isUnavailable(e);
  return {
    db,
    dialectName: conn.name,
    transaction: (fn) => db.transaction().execute(fn),
    isUniqueViolation: conn.isUniqueViolation,
    skipLocked: conn.skipLocked,
    isUnavailable,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async migrate() {
      const migrationDb = conn.migrationDialect ? new Kysely<Database>({ dialect: guarded(conn.migrationDialect()) }) : db;
      try {
        const migrator = new Migrator({
          db: migrationDb,
          provider: { getMigrations: async () => MIGRATIONS },
          ...(conn.migrationTableSchema !== undefined && { migrationTableSchema: conn.migrationTableSchema }),
        });
        const { error, results } = await migrator.migrateToLatest();
        if (error) throw error;
        return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
      } finally {
        if (migrationDb !== db) await migrationDb.destroy();
      }
    },
    ...(bus && { messageBus: () => bus(db) }),
    async close() {
      await db.destroy();
      await conn.close();
    },
  };
}
