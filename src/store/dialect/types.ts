import type { Dialect } from 'kysely';

/** What each database folder provides; nothing outside `dialect/` knows which one is in use. */
export interface DialectConnection {
  name: string;
  dialect: Dialect;
  isUniqueViolation(error: unknown): boolean;
  /** Schema holding Kysely's migration tables, when not the default one. */
  migrationTableSchema?: string;
  close(): Promise<void>;
}
