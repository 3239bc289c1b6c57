import { connectPostgres } from './postgres/connect.js';
import { connectSqlite } from './sqlite/connect.js';
import type { ConnectOptions, DialectConnection } from './types.js';

const BY_SCHEME: Record<string, (url: string, opts: ConnectOptions) => DialectConnection> = {
  'sqlite:': connectSqlite,
  'postgres:': connectPostgres,
  'postgresql:': connectPostgres,
};

export function connectDialect(url: string, opts: ConnectOptions): DialectConnection {
  const scheme = /^[a-z]+:/.exec(url)?.[0] ?? '';
  const connect = BY_SCHEME[scheme];
  if (!connect) throw new Error(`Unsupported database URL scheme "${scheme}": use sqlite: or postgres:`);
  return connect(url, opts);
}
