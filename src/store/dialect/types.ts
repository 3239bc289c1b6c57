import type { Dialect, Kysely, SelectQueryBuilder } from 'kysely';

/** How long a store call may wait, and where a dialect reports trouble no caller is waiting for. */
export interface ConnectOptions {
  /** Longest a single statement may run (PostgreSQL statement_timeout, SQLite busy_timeout). */
  statementTimeoutMs: number;
  /** Longest opening a connection, or waiting for a free one in the pool, may take. */
  connectTimeoutMs: number;
  /** An error no query was waiting for, such as an idle pooled connection dying. Never throws. */
  onBackgroundError(error: unknown): void;
}

/** What each database folder provides; nothing outside `dialect/` knows which one is in use. */
export interface DialectConnection {
  name: string;
  dialect: Dialect;
  isUniqueViolation(error: unknown): boolean;
  /**
   * Whether an error means the database could not be reached or did not answer in time
   * (rather than refusing the statement): the request may succeed if retried later.
   */
  isUnavailable(error: unknown): boolean;
  /**
   * A dialect for migrations only, without the statement timeout: a migration may
   * legitimately run longer than any request should. Absent when the main one will do.
   */
  migrationDialect?(): Dialect;
  /**
   * Makes a select claim its rows for the enclosing statement while other sessions' claims pass
   * over them: `FOR UPDATE SKIP LOCKED` on PostgreSQL. SQLite has one writer at a time, so a claim
   * there (one UPDATE … WHERE id IN (select)) is atomic as it stands and the select is returned as is.
   */
  skipLocked<DB, TB extends keyof DB, O>(qb: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /** Schema holding Kysely's migration tables, when not the default one. */
  migrationTableSchema?: string;
  /**
   * How this database carries short messages between the processes using it (the cache
   * invalidation relay): PostgreSQL LISTEN/NOTIFY, a SQLite file's change log. Absent when no
   * other process can share the database (SQLite `:memory:`). Call it after migrating, with the
   * store's Kysely instance (queries the bus runs go through it).
   */
  messageBus?(db: Kysely<any>): MessageBus;
  /**
   * Runs one read-only statement at once and returns its rows as arrays of column values (in the
   * statement's column order), for the few hot reads where Kysely's asynchronous path costs more
   * than the read: SQLite, on a connection of its own that sees only committed data (never a
   * transaction in progress in this process) and never waits for one. Absent where reads are
   * asynchronous (PostgreSQL) or no second connection can see the data (`sqlite::memory:`).
   * Throws what the driver throws; nothing passes the guard (callers fall back to Kysely).
   */
  readRowsNow?(sql: string, params: readonly unknown[]): unknown[][];
  /**
   * One write statement run synchronously on the connection Kysely writes with, returning how
   * many rows it changed: SQLite only (one writing connection). Only from inside a transaction
   * of the store, whose callback holds that connection: nothing else can run on it meanwhile, and
   * the statement is part of that transaction. Throws what the driver throws.
   */
  writeNow?(sql: string, params: readonly unknown[]): number;
  close(): Promise<void>;
}

/** What a message bus tells its one listener. */
export interface BusListener {
  /** Receiving (again): anything sent while not receiving was missed. */
  up(): void;
  /** Not receiving: until `up`, messages may be missed. Repeats while the outage lasts. */
  down(error: unknown): void;
  /** One message, possibly this process's own. */
  message(text: string): void;
}

/**
 * Best-effort broadcast between the processes sharing one database: every message published
 * while a listener is up reaches it once, in order, within a fraction of a second; nothing
 * sent while it is down is replayed, which `up` announces.
 */
export interface MessageBus {
  /** Where the messages travel, for logs and /readyz (`postgres`, `sqlite`, `redis`). */
  readonly kind: string;
  /** Resolves once the database has taken the message (it fails when the database is unavailable). */
  publish(text: string): Promise<void>;
  /** Starts receiving, reconnecting on its own after any loss; one listener per bus. */
  listen(listener: BusListener): void;
  close(): Promise<void>;
}
