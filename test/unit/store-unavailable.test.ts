import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { KeywardError } from '../../src/core/errors.js';
import { isPostgresUnavailable } from '../../src/store/dialect/postgres/is-unavailable.js';
import { isSqliteUnavailable } from '../../src/store/dialect/sqlite/is-unavailable.js';
import { openStore } from '../../src/store/store.js';
import { PG_URL } from '../harness.js';

const caught = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('Store.isUnavailable: which PostgreSQL errors mean "not reachable in time"', () => {
  it('a refused connection, from a real pg client', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: await closedPort(), user: 'x', database: 'x' });
    const error = await caught(client.connect());
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(isPostgresUnavailable(error)).toBe(true);
  });

  it('socket errors, connection-exception and shutdown SQLSTATEs, statement timeout, and what pg throws without a code', () => {
    for (const code of [
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      'EHOSTUNREACH',
      'ENOTFOUND',
      '08006',
      '08001',
      '57P01',
      '57P02',
      '57P03',
      '57014',
      '53300',
    ]) {
      expect(isPostgresUnavailable(withCode('x', code)), code).toBe(true);
    }
    for (const message of [
      'Connection terminated unexpectedly',
      'Connection terminated due to connection timeout',
      'Query read timeout',
      'timeout exceeded when trying to connect',
      'Client has encountered a connection error and is not queryable',
    ]) {
      expect(isPostgresUnavailable(new Error(message)), message).toBe(true);
    }
    expect(isPostgresUnavailable(new Error('wrapped', { cause: withCode('x', 'ETIMEDOUT') }))).toBe(true);
    expect(isPostgresUnavailable(new AggregateError([withCode('a', 'ECONNREFUSED'), withCode('b', 'ECONNREFUSED')], 'all failed'))).toBe(
      true,
    );
  });

  it('not: a refused statement (unique violation, syntax, NUL byte, permission), or anything that is not an Error', () => {
    for (const code of ['23505', '42601', '22021', '42501', '40001', '22P02']) {
      expect(isPostgresUnavailable(withCode('x', code)), code).toBe(false);
    }
    for (const value of [undefined, null, 'Connection terminated', { code: 'ECONNRESET' }, new Error('duplicate key value')]) {
      expect(isPostgresUnavailable(value)).toBe(false);
    }
  });

  describe.skipIf(!PG_URL)('against a real PostgreSQL', () => {
    it('statement_timeout (57014) is unavailable, a unique violation is not', async () => {
      const client = new pg.Client({ connectionString: PG_URL, statement_timeout: 50 });
      await client.connect();
      try {
        const slow = await caught(client.query('select pg_sleep(1)'));
        expect(slow).toMatchObject({ code: '57014' });
        expect(isPostgresUnavailable(slow)).toBe(true);
        await client.query('create temporary table t (id int primary key)');
        await client.query('insert into t values (1)');
        const duplicate = await caught(client.query('insert into t values (1)'));
        expect(duplicate).toMatchObject({ code: '23505' });
        expect(isPostgresUnavailable(duplicate)).toBe(false);
      } finally {
        await client.end();
      }
    });
  });
});

describe('Store.isUnavailable: which SQLite errors mean "not usable right now"', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-unavail-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('SQLITE_BUSY from a real second connection holding the write lock; a unique violation is not', () => {
    const path = join(dir, 'busy.db');
    const a = new Database(path);
    const b = new Database(path, { timeout: 0 });
    try {
      a.exec('create table t (id integer primary key)');
      a.exec('begin immediate');
      let busy: unknown;
      try {
        b.exec('insert into t values (1)');
      } catch (e) {
        busy = e;
      }
      expect(busy).toMatchObject({ code: 'SQLITE_BUSY' });
      expect(isSqliteUnavailable(busy)).toBe(true);
      a.exec('rollback');
      b.exec('insert into t values (1)');
      let duplicate: unknown;
      try {
        b.exec('insert into t values (1)');
      } catch (e) {
        duplicate = e;
      }
      expect(duplicate).toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
      expect(isSqliteUnavailable(duplicate)).toBe(false);
    } finally {
      a.close();
      b.close();
    }
  });

  it('I/O, full disk and unopenable files are; generic errors are not', () => {
    for (const code of ['SQLITE_IOERR', 'SQLITE_IOERR_WRITE', 'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']) {
      expect(isSqliteUnavailable(withCode('x', code)), code).toBe(true);
    }
    for (const code of ['SQLITE_ERROR', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_BUSYX', 'SQLITE_MISMATCH']) {
      expect(isSqliteUnavailable(withCode('x', code)), code).toBe(false);
    }
  });

  it('the store answers for both its own typed error and the driver error, and a busy write becomes STORE_UNAVAILABLE', async () => {
    const path = join(dir, 'store.db');
    const store = openStore(`sqlite:${path}`, { statementTimeoutMs: 50, log: { warn: () => {}, info: () => {} } });
    await store.migrate();
    const other = new Database(path);
    try {
      expect(store.isUnavailable(new KeywardError('STORE_UNAVAILABLE'))).toBe(true);
      expect(store.isUnavailable(new KeywardError('KEY_NOT_FOUND'))).toBe(false);
      expect(store.isUnavailable(withCode('x', 'SQLITE_BUSY'))).toBe(true);
      other.exec('begin immediate');
      const error = await caught(store.db.deleteFrom('sessions').execute());
      expect(error).toBeInstanceOf(KeywardError);
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', cause: { code: 'SQLITE_BUSY' } });
      expect(store.isUnavailable(error)).toBe(true);
      other.exec('rollback');
      await store.db.deleteFrom('sessions').execute();
    } finally {
      other.close();
      await store.close();
    }
  });
});
