import type { Dialect } from 'kysely';

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
  /** Schema holding Kysely's migration tables, when not the default one. */
  migrationTableSchema?: string;
  close(): Promise<void>;
}
