import type { Dialect } from 'kysely';

/** What each database folder provides; nothing outside `dialect/` knows which one is in use. */
export interface DialectConnection {
  name: string;
  dialect: Dialect;
  isUniqueViolation(error: unknown): boolean;
  close(): Promise<void>;
}
