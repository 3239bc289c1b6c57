import { Kysely, Migrator } from 'kysely';
import { connectDialect } from './dialect/index.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Database } from './schema.js';

/** A Kysely handle: the root connection or an open transaction, interchangeably. */
export type Db = Kysely<Database>;

export interface Store {
  readonly db: Db;
  /** `sqlite` or `postgres`: for display and metrics only, never for branching. */
  readonly dialectName: string;
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  isUniqueViolation(error: unknown): boolean;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

export function openStore(url: string): Store {
  const conn = connectDialect(url);
  const db = new Kysely<Database>({ dialect: conn.dialect });
  return {
    db,
    dialectName: conn.name,
    transaction: (fn) => db.transaction().execute(fn),
    isUniqueViolation: conn.isUniqueViolation,
    async migrate() {
      const migrator = new Migrator({
        db,
        provider: { getMigrations: async () => MIGRATIONS },
        ...(conn.schema !== undefined && { migrationTableSchema: conn.schema }),
      });
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error;
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    },
    async close() {
      await db.destroy();
      await conn.close();
    },
  };
}
