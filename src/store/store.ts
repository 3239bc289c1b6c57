import { Kysely, Migrator, type SelectQueryBuilder, sql } from 'kysely';
import { isKeywardError } from '../core/errors.js';
import { connectDialect } from './dialect/index.js';
import type { MessageBus } from './dialect/types.js';
import { type Guard, guardDialect, newGuard, newQueryStats, type QueryStats, type StoreLogger, summarizeError } from './guarded-dialect.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Database } from './schema.js';

export type { BusListener, MessageBus } from './dialect/types.js';
export type { QueryStats, StoreLogger } from './guarded-dialect.js';

/** A Kysely handle: the root connection or an open transaction, interchangeably. */
export type Db = Kysely<Database>;

export interface Store {
  readonly db: Db;
  /** `sqlite` or `postgres`: for display and metrics only, never for branching. */
  readonly dialectName: string;
  /** Query durations and failures since the store opened, for metrics (migrations included). */
  readonly queryStats: QueryStats;
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
  /**
   * One read-only statement answered synchronously, rows as arrays of values (see
   * DialectConnection.readRowsNow), or undefined when this store cannot (PostgreSQL, SQLite in
   * memory) or the read failed: the caller then goes through `db`, which reports failures as
   * every query does. Timed into `queryStats` like every query.
   */
  readRowsNow(sql: string, params: readonly unknown[]): unknown[][] | undefined;
  /**
   * One write statement run synchronously, returning the rows it changed (see
   * DialectConnection.writeNow), where the store can (SQLite); absent elsewhere (PostgreSQL).
   * Only inside the callback of `transaction()`: the statement is part of that transaction.
   * Timed into `queryStats`; a failure is thrown as the driver's error and fails the transaction.
   */
  readonly writeNow?: (sql: string, params: readonly unknown[]) => number;
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
  const queryStats = newQueryStats();
  const guard = newGuard(conn.isUnavailable, log, queryStats);
  const guarded = (dialect: typeof conn.dialect) => guardDialect(dialect, guard);
  const db = new Kysely<Database>({ dialect: guarded(conn.dialect) });
  const bus = conn.messageBus;
  const isUnavailable = (e: unknown) => (isKeywardError(e) && e.code === 'STORE_UNAVAILABLE') || conn.isUnavailable(e);
  return {
    db,
    dialectName: conn.name,
    queryStats,
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
        let { error, results } = await migrator.migrateToLatest();
        // Kysely looks for its tables by listing every schema's tables: a schema dropped by someone
        // else at that moment fails the listing (3F000, 42P01, XX000 "cache lookup failed"). That is
        // not about this store: look again, twice at most.
        for (let retry = 0; retry < 2 && error !== undefined && isConcurrentCatalogChange(error); retry++) {
          await new Promise((r) => setTimeout(r, 100));
          ({ error, results } = await migrator.migrateToLatest());
        }
        if (error) {
          const newer = await newerMigrations(migrationDb, conn.migrationTableSchema).catch(() => undefined);
          if (newer === undefined || newer.length === 0) throw error;
          // A rolling upgrade: a newer version migrated the database while this node (re)starts.
          // Migrations are additive, so this version runs on the newer schema as it did before.
          log.warn(
            { newerMigrations: newer },
            `the database has migrations this version does not know (${newer.join(', ')}): a newer Keyward migrated it; this node serves without migrating. Upgrade it (docs/deploy.md).`,
          );
          return [];
        }
        return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
      } finally {
        if (migrationDb !== db) await migrationDb.destroy();
      }
    },
    ...(bus && { messageBus: () => bus(db) }),
    readRowsNow: (text, params) => {
      const read = conn.readRowsNow;
      if (read === undefined) return undefined;
      const started = performance.now();
      try {
        return read(text, params);
      } catch {
        // The same statement through Kysely reports it (STORE_UNAVAILABLE, logs, counts).
        return undefined;
      } finally {
        queryStats.duration.observe((performance.now() - started) / 1000);
      }
    },
    ...(conn.writeNow && { writeNow: guardedWrite(conn.writeNow, guard) }),
    async close() {
      await db.destroy();
      await conn.close();
    },
  };
}

/** `writeNow` under the guarded driver's rule (STORE_UNAVAILABLE, transitions logged), timed like every query. */
function guardedWrite(write: (sql: string, params: readonly unknown[]) => number, guard: Guard) {
  return (text: string, params: readonly unknown[]): number => {
    const started = performance.now();
    try {
      const changed = write(text, params);
      guard.answered();
      return changed;
    } catch (e) {
      throw guard.failed(e);
    } finally {
      guard.stats.duration.observe((performance.now() - started) / 1000);
    }
  };
}

/** A PostgreSQL catalogue error caused by another client dropping or creating a schema or table at the same moment. */
function isConcurrentCatalogChange(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '3F000' || code === '42P01' || (code === 'XX000' && /cache lookup failed/.test(String((error as Error).message)));
}

/**
 * The applied migrations this version does not know, when they are all newer than every one it
 * knows and every one it knows is applied: the database was migrated by a newer version. Empty
 * in any other case (an unknown migration among known ones is not an upgrade: Kysely's error stands).
 */
async function newerMigrations(db: Db, schema: string | undefined): Promise<string[]> {
  const table = schema === undefined ? sql.id('kysely_migration') : sql.id(schema, 'kysely_migration');
  const { rows } = await sql<{ name: string }>`select name from ${table}`.execute(db);
  const applied = rows.map((r) => r.name);
  const known = Object.keys(MIGRATIONS).sort();
  const latest = known.at(-1) ?? '';
  const unknown = applied.filter((name) => !(name in MIGRATIONS)).sort();
  const allKnownApplied = known.every((name) => applied.includes(name));
  if (!allKnownApplied || unknown.some((name) => name.localeCompare(latest) <= 0)) return [];
  return unknown;
}
