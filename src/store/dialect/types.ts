import type { Dialect } from 'kysely';

/** What each database folder provides; nothing outside `dialect/` knows which one is in use. */
export interface DialectConnection {
  name: string;
  dialect: Dialect;
  isUniqueViolation(error: unknown): boolean;
  /**
   * The schema Keyward's tables live in when it is not the default one. The migrator must
   * look only there: another schema's migration tables in the same database are not ours.
   */
  schema?: string | undefined;
  close(): Promise<void>;
}
