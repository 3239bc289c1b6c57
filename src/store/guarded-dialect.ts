import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';
import { KeywardError } from '../core/errors.js';
import { FixedHistogram, STORE_SECONDS } from '../core/histogram.js';

/** Where the store reports the database going away and coming back (once per change). */
export interface StoreLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * What a log line may say about a driver error: its message and code. pg errors can carry
 * the whole client object (pg-pool sets `err.client`) and row data in `detail`.
 */
export function summarizeError(error: unknown): { message: string; code?: string } {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { message: error.message, ...(typeof code === 'string' && { code }) };
}

/** What every query through the guard adds up to, read when metrics are scraped (src/metrics/). */
export interface QueryStats {
  /** Seconds from sending a statement to its answer or failure (connection waits not included). */
  readonly duration: FixedHistogram;
  /** Statements that failed because the database was unreachable or too slow (answered 503). */
  unavailable: number;
  /** Statements that failed otherwise (constraint violations included: the store turns some into answers). */
  failed: number;
  /** Whether the last statement was answered (false from a failure classed unavailable until one is answered). */
  available: boolean;
}

export function newQueryStats(): QueryStats {
  return { duration: new FixedHistogram(STORE_SECONDS), unavailable: 0, failed: 0, available: true };
}

/**
 * Turns the errors a dialect classifies as "database unreachable or too slow" into
 * `KeywardError('STORE_UNAVAILABLE')` (the original as `cause`), at the one place every
 * query passes: the driver. Services and routes then see a typed error from the one table,
 * which every edge answers 503 — never a verification answer, never a 500. Logs the
 * transitions (unavailable, then available again), not every failed query.
 */
export function guardDialect(inner: Dialect, guard: Guard): Dialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createDriver: () => guardDriver(inner.createDriver(), guard),
  };
}

/**
 * The one rule for a failed store call, shared by the guarded driver and the store's synchronous
 * statements (`Store.writeNow`): "unreachable or too slow" becomes STORE_UNAVAILABLE, with the
 * transitions logged once each way.
 */
export function newGuard(isUnavailable: (error: unknown) => boolean, log: StoreLogger, stats: QueryStats = newQueryStats()): Guard {
  let down = false;
  return {
    stats,
    failed(error: unknown): unknown {
      if (!isUnavailable(error)) {
        stats.failed++;
        return error;
      }
      stats.unavailable++;
      stats.available = false;
      if (!down) {
        down = true;
        log.warn({ err: summarizeError(error) }, 'database unavailable: answering 503 STORE_UNAVAILABLE until it answers again');
      }
      const converted = new KeywardError('STORE_UNAVAILABLE');
      converted.cause = error;
      return converted;
    },
    answered(): void {
      stats.available = true;
      if (!down) return;
      down = false;
      log.info({}, 'database available again');
    },
  };
}

export interface Guard {
  stats: QueryStats;
  failed(error: unknown): unknown;
  answered(): void;
}

class GuardedConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly guard: Guard,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const started = performance.now();
    try {
      const result = await this.inner.executeQuery<R>(query);
      this.guard.answered();
      return result;
    } catch (e) {
      throw this.guard.failed(e);
    } finally {
      this.guard.stats.duration.observe((performance.now() - started) / 1000);
    }
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (e) {
      throw this.guard.failed(e);
    }
  }
}

function guardDriver(inner: Driver, guard: Guard): Driver {
  // The inner driver's methods need its own connection objects (it keeps private state on them).
  const wrappers = new WeakMap<DatabaseConnection, GuardedConnection>();
  const unwrap = (c: DatabaseConnection) => (c instanceof GuardedConnection ? c.inner : c);
  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw guard.failed(e);
    }
  };
  const driver: Driver = {
    init: () => run(() => inner.init()),
    acquireConnection: () =>
      run(async () => {
        const connection = await inner.acquireConnection();
        let wrapped = wrappers.get(connection);
        if (wrapped === undefined) {
          wrapped = new GuardedConnection(connection, guard);
          wrappers.set(connection, wrapped);
        }
        return wrapped;
      }),
    beginTransaction: (c, settings: TransactionSettings) => run(() => inner.beginTransaction(unwrap(c), settings)),
    commitTransaction: (c) => run(() => inner.commitTransaction(unwrap(c))),
    rollbackTransaction: (c) => run(() => inner.rollbackTransaction(unwrap(c))),
    releaseConnection: (c) => inner.releaseConnection(unwrap(c)),
    destroy: () => inner.destroy(),
  };
  const { savepoint, rollbackToSavepoint, releaseSavepoint } = inner;
  if (savepoint) driver.savepoint = (c, name, compile) => run(() => savepoint.call(inner, unwrap(c), name, compile));
  if (rollbackToSavepoint) {
    driver.rollbackToSavepoint = (c, name, compile) => run(() => rollbackToSavepoint.call(inner, unwrap(c), name, compile));
  }
  if (releaseSavepoint) driver.releaseSavepoint = (c, name, compile) => run(() => releaseSavepoint.call(inner, unwrap(c), name, compile));
  return driver;
}
