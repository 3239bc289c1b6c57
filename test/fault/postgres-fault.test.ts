import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config.js';
import { generateKey } from '../../src/core/key-format.js';
import { createKeyward, type Keyward } from '../../src/server.js';
import { openStore } from '../../src/store/store.js';
import { DIALECTS, OPERATOR, PG_URL } from '../harness.js';
import { TcpProxy } from '../tcp-proxy.js';

const postgres = DIALECTS.find((d) => d.name === 'postgres');
const STATEMENT_TIMEOUT_MS = 300;
const CONNECT_TIMEOUT_MS = 400;
/** What "quickly" means for a 503 here: generous for a shared 2-core CI machine. */
const BOUND_MS = 5000;

interface Answer {
  status: number;
  body: any;
  headers: Headers;
  ms: number;
}

/** Polls `fn` every 50 ms until `ok` holds, for at most `ms`; returns the last value. */
async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  let last = await fn();
  while (!ok(last) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    last = await fn();
  }
  return last;
}

/**
 * Keyward listening on a real port, talking to PostgreSQL through a proxy the test breaks:
 * the process must stay up, answer 503 STORE_UNAVAILABLE quickly while the database is
 * gone (never VALID or NOT_FOUND for a key the cache cannot vouch for), and serve again as
 * soon as it is back, without a restart.
 */
describe.skipIf(!postgres?.enabled)('PostgreSQL faults: terminated backends and a cut network', () => {
  const appName = `kw_fault_${randomBytes(4).toString('hex')}`;
  const logs: { level: number; msg: string }[] = [];
  let db: { url: string; drop(): Promise<void> };
  let proxy: TcpProxy;
  let proxiedUrl: string;
  let config: Config;
  let kw: Keyward;
  let base: string;
  let admin: pg.Client;
  let operatorToken: string;

  const call = async (
    method: string,
    path: string,
    o: { token?: string; body?: unknown; type?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer> => {
    const started = Date.now();
    const res = await fetch(base + path, {
      method,
      headers: {
        ...(o.token !== undefined && { authorization: `Bearer ${o.token}` }),
        ...(o.body !== undefined && { 'content-type': o.type ?? 'application/json' }),
        ...o.headers,
      },
      ...(o.body !== undefined && { body: JSON.stringify(o.body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body, headers: res.headers, ms: Date.now() - started };
  };
  const expectUnavailable = (a: Answer) => {
    expect(a.status).toBe(503);
    expect(a.body).toEqual({ error: { code: 'STORE_UNAVAILABLE', message: expect.any(String), requestId: expect.any(String) } });
    expect(a.headers.get('retry-after')).toBe('1');
    expect(a.ms).toBeLessThan(BOUND_MS);
  };
  const verify = (key: string, o: { scopes?: string[]; type?: string } = {}) =>
    call('POST', '/v1/keys/verify', { body: { key, ...(o.scopes && { scopes: o.scopes }) }, ...(o.type && { type: o.type }) });
  const backends = async () =>
    (await admin.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [appName])).rows.map((r) => r.pid);
  const logged = (text: string) => logs.filter((l) => l.msg.includes(text)).length;
  /** Moves Keyward's clock past the verification cache TTL: every cached record has expired. */
  let clockOffset = 0;
  const expireCache = () => {
    clockOffset += config.verifyCacheTtlMs + config.verifyNegativeCacheTtlMs + 1000;
  };

  beforeAll(async () => {
    db = await (postgres as NonNullable<typeof postgres>).create();
    const target = new URL(PG_URL as string);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    const url = new URL(db.url);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    url.searchParams.set('application_name', appName);
    proxiedUrl = url.toString();
    config = loadConfig(
      {},
      {
        databaseUrl: proxiedUrl,
        bootstrapEmail: OPERATOR.email,
        bootstrapPassword: OPERATOR.password,
        dataDir: mkdtempSync(join(tmpdir(), 'keyward-fault-')),
        dbStatementTimeoutMs: STATEMENT_TIMEOUT_MS,
        dbConnectTimeoutMs: CONNECT_TIMEOUT_MS,
        // Flushed by hand below, so a background flush never races the assertions.
        usageFlushIntervalMs: 3_600_000,
      },
    );
    kw = await createKeyward(config, {
      logger: {
        level: 'info',
        stream: {
          write: (line: string) => {
            const { level, msg } = JSON.parse(line) as { level: number; msg: string };
            logs.push({ level, msg });
          },
        },
      },
    });
    kw.ctx.now = () => Date.now() + clockOffset;
    base = await kw.app.listen({ host: '127.0.0.1', port: 0 });
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    const login = await call('POST', '/v1/auth/login', { body: OPERATOR });
    expect(login.status).toBe(200);
    operatorToken = login.body.token;
  });

  afterAll(async () => {
    await kw?.close();
    await proxy?.close();
    await admin?.end();
    await db?.drop();
    if (config) rmSync(config.dataDir, { recursive: true, force: true });
  });

  it('a statement longer than KEYWARD_DB_STATEMENT_TIMEOUT_MS is cancelled by the server: STORE_UNAVAILABLE, not a hang', async () => {
    const started = Date.now();
    const error = await sql`select pg_sleep(3)`.execute(kw.ctx.store.db).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', cause: { code: '57014' } });
    expect(kw.ctx.store.isUnavailable(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('(a) pg_terminate_backend on every idle connection: the process stays up, logs it, and the next requests succeed', async () => {
    for (let i = 0; i < 3; i++) expect((await call('GET', '/v1/me', { token: operatorToken })).status).toBe(200);
    const before = await backends();
    expect(before.length).toBeGreaterThan(0);
    const lostBefore = logged('database connection lost while idle');
    const terminated = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [appName]);
    expect(terminated.rowCount).toBe(before.length);
    // Each idle connection's death arrives as an 'error' event: unlistened, it would end the process.
    const lost = await until(
      async () => logged('database connection lost while idle') - lostBefore,
      (n) => n >= before.length,
    );
    expect(lost).toBe(before.length);
    for (let i = 0; i < 5; i++) expect((await call('GET', '/v1/me', { token: operatorToken })).status).toBe(200);
    const after = await backends();
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((pid) => before.includes(pid))).toEqual([]);
    expect((await call('GET', '/healthz')).status).toBe(200);
  });

  it('(a) a backend terminated while its query runs fails that query as STORE_UNAVAILABLE and nothing else', async () => {
    // A store with a long statement timeout, so the query is surely still running when terminated.
    const name = `${appName}_busy`;
    const url = new URL(proxiedUrl);
    url.searchParams.set('application_name', name);
    const quiet = { warn: () => {}, info: () => {} };
    const store = openStore(url.toString(), { statementTimeoutMs: 20_000, connectTimeoutMs: CONNECT_TIMEOUT_MS, log: quiet });
    try {
      const running = sql`select pg_sleep(10)`.execute(store.db).then(
        () => undefined,
        (e: unknown) => e,
      );
      const pids = await until(
        async () =>
          (
            await admin.query<{ pid: number }>(
              "select pid from pg_stat_activity where application_name = $1 and state = 'active' and query like '%pg_sleep%'",
              [name],
            )
          ).rows,
        (rows) => rows.length > 0,
      );
      expect(pids.length).toBe(1);
      await admin.query('select pg_terminate_backend($1)', [pids[0]?.pid]);
      const error = await running;
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await store.ping();
    } finally {
      await store.close();
    }
    expect((await call('GET', '/v1/me', { token: operatorToken })).status).toBe(200);
  });

  it('(b) network cut: /healthz 200, /readyz and every uncached store call 503 STORE_UNAVAILABLE quickly, never VALID or NOT_FOUND; (c) back without a restart', async () => {
    const account = await call('POST', '/v1/accounts', {
      token: operatorToken,
      body: { name: 'Fault', admin: { email: `fault-${appName}@test.local`, name: 'Admin', password: 'admin-password-1' } },
    });
    expect(account.status).toBe(201);
    const accountId = account.body.account.id as string;
    const adminToken = (
      await call('POST', '/v1/auth/login', { body: { email: `fault-${appName}@test.local`, password: 'admin-password-1' } })
    ).body.token as string;
    const app = await call('POST', `/v1/accounts/${accountId}/applications`, { token: adminToken, body: { name: 'App' } });
    const keyIn = async () => {
      const k = await call('POST', `/v1/accounts/${accountId}/applications/${app.body.id}/keys`, {
        token: adminToken,
        body: { name: 'K', scopes: [] },
      });
      expect(k.status).toBe(201);
      return { id: k.body.accessKey.id as string, key: k.body.key as string };
    };
    const cached = await keyIn();
    const uncached = await keyIn();
    expect((await verify(cached.key)).body.code).toBe('VALID');
    expect((await call('GET', '/readyz')).status).toBe(200);

    proxy.cut('blackhole');

    const health = await call('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.ms).toBeLessThan(1000);
    const ready = await call('GET', '/readyz');
    expectUnavailable(ready);
    expect(ready.ms).toBeLessThan(2000);

    // Within its TTL the cache vouches for the record it holds (docs/security.md): still VALID, use counted.
    expect((await verify(cached.key)).body.code).toBe('VALID');
    await expect(kw.ctx.usage.flush()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });

    expireCache();
    expectUnavailable(await verify(cached.key)); // the fast path
    expectUnavailable(await verify(cached.key, { type: 'application/json;charset=utf-8' })); // the Fastify route
    expectUnavailable(await verify(cached.key, { scopes: ['anything'] }));
    expectUnavailable(await verify(uncached.key));
    expectUnavailable(await verify(generateKey()));
    const gate = await call('GET', '/v1/authorize', {
      headers: { authorization: `Bearer ${uncached.key}`, 'x-original-uri': '/x', 'x-original-method': 'GET' },
    });
    expectUnavailable(gate);
    expect(gate.headers.get('x-keyward-error')).toBe('STORE_UNAVAILABLE');
    expectUnavailable(await call('GET', `/v1/accounts/${accountId}`, { token: adminToken }));
    expectUnavailable(await call('POST', `/v1/accounts/${accountId}/applications`, { token: adminToken, body: { name: 'During' } }));
    // More requests than pool connections: waiting for a free one is bounded too.
    const started = Date.now();
    const burst = await Promise.all(Array.from({ length: 25 }, () => verify(uncached.key)));
    for (const a of burst) expectUnavailable(a);
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect(logged('database unavailable')).toBeGreaterThan(0);

    proxy.reopen();

    expect(
      (
        await until(
          () => call('GET', '/readyz'),
          (a) => a.status === 200,
        )
      ).status,
    ).toBe(200);
    // The use counted during the cut was kept and is written now, with the one from before it.
    await kw.ctx.usage.flush();
    const used = await admin.query<{ n: string }>(
      `select coalesce(sum(count), 0) as n from ${new URL(db.url).searchParams.get('schema')}.key_usage where key_id = $1`,
      [cached.id],
    );
    expect(Number(used.rows[0]?.n)).toBe(2);
    expect((await verify(cached.key)).body.code).toBe('VALID');
    expect((await verify(uncached.key)).body.code).toBe('VALID');
    expect((await call('GET', `/v1/accounts/${accountId}`, { token: adminToken })).status).toBe(200);
    expect(logged('database available again')).toBeGreaterThan(0);
  });

  it('(b) connections reset (a database restart): idle ones are dropped without a crash, 503 until it is back, then served', async () => {
    expect((await call('GET', '/v1/me', { token: operatorToken })).status).toBe(200);
    const key = generateKey();
    const lostBefore = logged('database connection lost while idle');
    proxy.cut('reset');
    expect(
      await until(
        async () => logged('database connection lost while idle') - lostBefore,
        (n) => n > 0,
      ),
    ).toBeGreaterThan(0);
    expectUnavailable(await call('GET', '/readyz'));
    expectUnavailable(await verify(key));
    expectUnavailable(await call('GET', '/v1/me', { token: operatorToken }));
    expect((await call('GET', '/healthz')).status).toBe(200);
    proxy.reopen();
    expect(
      (
        await until(
          () => call('GET', '/readyz'),
          (a) => a.status === 200,
        )
      ).status,
    ).toBe(200);
    expect((await verify(key)).body.code).toBe('NOT_FOUND');
    expect((await call('GET', '/v1/me', { token: operatorToken })).status).toBe(200);
  });
});
