import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithKey, createHarness, DIALECTS, type Harness, PG_URL } from '../harness.js';

const STATEMENT_TIMEOUT_MS = 200;

/**
 * Another client takes the write lock and keeps it, as a second process, a migration or a
 * stuck session would: Keyward's writes must give up after the statement timeout.
 */
async function holdWriteLock(h: Harness, dialect: string): Promise<() => Promise<void>> {
  const url = h.config.databaseUrl;
  if (dialect === 'sqlite') {
    const db = new Database(url.replace(/^sqlite:/, ''));
    db.exec('begin immediate');
    return async () => {
      db.exec('rollback');
      db.close();
    };
  }
  const schema = new URL(url).searchParams.get('schema');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query('begin');
  await client.query(`lock table ${schema}.applications, ${schema}.access_keys, ${schema}.key_usage in exclusive mode`);
  return async () => {
    await client.query('rollback');
    await client.end();
  };
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`store calls are bounded by KEYWARD_DB_STATEMENT_TIMEOUT_MS [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect, { dbStatementTimeoutMs: STATEMENT_TIMEOUT_MS });
    });
    afterAll(async () => h?.close());

    it('a write blocked past the timeout answers 503 STORE_UNAVAILABLE with Retry-After, and buffered uses survive the failed flush', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken);
      expect((await h.call('POST', '/v1/keys/verify', { body: { key: k.key } })).body.code).toBe('VALID');
      const release = await holdWriteLock(h, dialect.name);
      try {
        const started = Date.now();
        const res = await h.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'Blocked' } });
        expect(res.status).toBe(503);
        expect(res.body).toEqual({ error: { code: 'STORE_UNAVAILABLE', message: expect.any(String), requestId: expect.any(String) } });
        expect(res.headers['retry-after']).toBe('1');
        expect(Date.now() - started).toBeLessThan(3000);
        await expect(h.kw.ctx.usage.flush()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      } finally {
        await release();
      }
      await h.kw.ctx.usage.flush();
      const key = await h.call('GET', `/v1/accounts/${t.accountId}/keys/${k.keyId}`, { token: t.adminToken });
      expect(key.body.usageCount).toBe(1);
      expect(
        (await h.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'After' } })).status,
      ).toBe(201);
    });

    it('/healthz answers without the store; /readyz answers 200 when the store does', async () => {
      expect(await h.call('GET', '/healthz')).toMatchObject({ status: 200, body: { ok: true, store: dialect.name } });
      expect(await h.call('GET', '/readyz')).toMatchObject({ status: 200, body: { ok: true, store: dialect.name } });
      const doc = (await h.call('GET', '/openapi.json')).body;
      // 400: a NUL in the query, refused on every route; 500 is documented on every operation.
      expect(Object.keys(doc.paths['/readyz'].get.responses)).toEqual(['200', '400', '500', '503']);
      expect(doc.paths['/readyz'].get.responses['503'].description).toContain('STORE_UNAVAILABLE');
      expect(doc.paths['/v1/keys/verify'].post.responses).toHaveProperty('503');
    });
  });
}
