import { PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import type { ConnectOptions, DialectConnection, MessageBus } from '../types.js';
import { isPostgresUnavailable } from './is-unavailable.js';
import { notifyChannel, postgresNotifyBus } from './notify-bus.js';

// int8 columns hold epoch milliseconds and counters, all well inside 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/**
 * How much longer than statement_timeout the client waits for an answer. The server cancels
 * a slow statement itself and says so; the client-side timeout is for when nothing can come
 * back at all (a cut network delivers neither the rows nor the cancellation).
 */
const QUERY_TIMEOUT_MARGIN_MS = 500;

/**
 * `postgres://user@host:port/db`. A `schema` query parameter sets the search_path, which
 * lets tests give every suite its own schema in one database; `pool` sets the pool size
 * and `application_name` the name the connections show in pg_stat_activity (`keyward`).
 */
export function connectPostgres(url: string, opts: ConnectOptions): DialectConnection {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  const max = Number(parsed.searchParams.get('pool') ?? 10);
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('pool');
  const connectionString = parsed.toString();
  const settings = (statementTimeoutMs: number): pg.PoolConfig => ({
    connectionString,
    // Parameters in the URL win over these (pg's rule), so an operator can rename the pool.
    application_name: 'keyward',
    connectionTimeoutMillis: opts.connectTimeoutMs,
    // Notice a peer that vanished without closing (a cut network) on idle connections too.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(statementTimeoutMs > 0 && {
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS,
      // A client that gave up mid-transaction cannot roll back over a dead socket: the server
      // ends the session itself instead of holding its row locks until TCP notices.
      idle_in_transaction_session_timeout: Math.max(10_000, 5 * statementTimeoutMs),
    }),
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  const pool = watchedPool(new pg.Pool({ ...settings(opts.statementTimeoutMs), max }), opts);
  // The relay's LISTEN connection shows as `<application_name>-relay`, apart from the pool's.
  const relayUrl = new URL(connectionString);
  relayUrl.searchParams.set('application_name', `${relayUrl.searchParams.get('application_name') ?? 'keyward'}-relay`);
  const buses: MessageBus[] = [];
  return {
    name: 'postgres',
    dialect: new PostgresDialect({ pool: discardingBroken(pool) }),
    isUniqueViolation: (e) => e instanceof Error && 'code' in e && e.code === '23505',
    isUnavailable: isPostgresUnavailable,
    skipLocked: (qb) => qb.forUpdate().skipLocked(),
    migrationDialect: () => new PostgresDialect({ pool: discardingBroken(watchedPool(new pg.Pool({ ...settings(0), max: 1 }), opts)) }),
    // Kysely looks for its migration tables in every schema unless told which: with two
    // schemas in one database, it finds the other's and never creates its own.
    ...(schema ? { migrationTableSchema: schema } : {}),
    messageBus() {
      const bus = postgresNotifyBus({
        pool,
        listenConfig: { ...settings(opts.statementTimeoutMs), connectionString: relayUrl.toString() },
        channel: notifyChannel(schema),
      });
      buses.push(bus);
      return bus;
    },
    close: async () => {
      await Promise.all(buses.map((b) => b.close()));
    },
  };
}

/**
 * pg reports a connection that dies while nobody is using it (pg_terminate_backend, a
 * server restart, a reset) as an 'error' event, and an EventEmitter with no listener for
 * 'error' throws it: the process would exit. The pool already drops such a client; here it
 * is only reported. A client that dies while checked out also emits 'error' on itself (the
 * pool listens only to idle ones); its query fails with the same error, which is how the
 * request learns of it, so that listener only has to exist. The pool opens new connections
 * on demand: service resumes as soon as the database answers.
 */
function watchedPool(pool: pg.Pool, opts: ConnectOptions): pg.Pool {
  pool.on('error', (error) => opts.onBackgroundError(error));
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/**
 * Hands Kysely pooled clients that go back to the pool destroyed instead of reused once a
 * query on them failed for want of the server. After a client-side query timeout, pg keeps
 * the unanswered query at the head of the client's queue: reused, the client would make
 * every later query wait behind it (forever, if the socket is dead without knowing it).
 */
function discardingBroken(pool: pg.Pool): PostgresPool {
  return {
    async connect() {
      const client = await pool.connect();
      let broken = false;
      const wrapped = {
        query: async (sql: string, parameters: readonly unknown[]) => {
          try {
            return await client.query(sql, parameters as unknown[]);
          } catch (e) {
            if (isPostgresUnavailable(e)) broken = true;
            throw e;
          }
        },
        release: (destroy?: boolean) => client.release(broken || destroy === true),
      };
      return wrapped as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}
