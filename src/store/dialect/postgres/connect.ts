import { PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DialectConnection } from '../types.js';

// int8 columns hold epoch milliseconds and counters, all well inside 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/**
 * `postgres://user@host:port/db`. A `schema` query parameter sets the search_path, which
 * lets tests give every suite its own schema in one database.
 */
export function connectPostgres(url: string): DialectConnection {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: Number(parsed.searchParams.get('pool') ?? 10),
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  return {
    name: 'postgres',
    dialect: new PostgresDialect({ pool }),
    isUniqueViolation: (e) => e instanceof Error && 'code' in e && e.code === '23505',
    schema: schema ?? undefined,
    close: async () => {},
  };
}
