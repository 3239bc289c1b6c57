import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createKeyward } from '../../src/server.js';
import { appWithKey, createHarness, DIALECTS, type Harness, OPERATOR } from '../harness.js';

const HOUR = 3_600_000;

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`key usage [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      // Every test flushes explicitly: no background flush may interleave with what a test checks.
      h = await createHarness(dialect, { usageFlushIntervalMs: 3_600_000 });
    });
    afterAll(async () => h?.close());

    const authorize = (key: string, uri: string) =>
      h.call('GET', '/v1/authorize', { headers: { authorization: key, 'x-original-method': 'GET', 'x-original-uri': uri } });

    it('counts successful verifications from /v1/keys/verify, /v1/authorize and management-API key auth; not failures', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read', 'keyward:keys.view.any']);
      const before = Date.now();
      await h.call('POST', '/v1/keys/verify', { body: { key: k.key } });
      await h.call('POST', '/v1/keys/verify', { body: { key: k.key, scopes: ['billing:access'] } }); // INSUFFICIENT_SCOPE: not a use
      expect((await authorize(k.key, '/integration/device/csvExport')).status).toBe(200);
      expect((await authorize(k.key, '/integration/device/sendmsg')).status).toBe(403); // denied: not a use
      expect((await h.call('GET', `/v1/accounts/${t.accountId}/keys`, { token: k.key })).status).toBe(200);
      await h.kw.ctx.usage.flush();
      const got = await h.call('GET', `/v1/accounts/${t.accountId}/keys/${k.keyId}`, { token: t.adminToken });
      expect(got.body.usageCount).toBe(3);
      expect(got.body.lastUsedAt).toBeGreaterThanOrEqual(before);
    });

    it('GET /usage returns hourly buckets per key; unflushed uses included', async () => {
      const t = await h.tenant();
      const a = await appWithKey(h, t, t.adminToken, ['device:read']);
      const b = await appWithKey(h, t, t.adminToken, ['device:read']);
      for (let i = 0; i < 3; i++) await h.call('POST', '/v1/keys/verify', { body: { key: a.key } });
      await h.call('POST', '/v1/keys/verify', { body: { key: b.key } });
      const r = await h.call('GET', `/v1/accounts/${t.accountId}/usage`, { token: t.adminToken });
      expect(r.status).toBe(200);
      const byKey = Object.fromEntries(r.body.series.map((s: any) => [s.keyId, s.points]));
      const total = (points: { count: number }[]) => points.reduce((n, p) => n + p.count, 0);
      expect(total(byKey[a.keyId])).toBe(3);
      expect(total(byKey[b.keyId])).toBe(1);
      for (const p of byKey[a.keyId]) expect(p.t % HOUR).toBe(0);

      const one = await h.call('GET', `/v1/accounts/${t.accountId}/usage?keyId=${b.keyId}`, { token: t.adminToken });
      expect(one.body.series).toEqual([{ keyId: b.keyId, points: [expect.objectContaining({ count: 1 })] }]);
      const past = await h.call('GET', `/v1/accounts/${t.accountId}/usage?keyId=${b.keyId}&from=0&to=${HOUR}`, { token: t.adminToken });
      expect(past.body.series).toEqual([{ keyId: b.keyId, points: [] }]);
    });

    it('accumulates into existing hour buckets across flushes', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      await h.call('POST', '/v1/keys/verify', { body: { key: k.key } });
      await h.kw.ctx.usage.flush();
      await h.call('POST', '/v1/keys/verify', { body: { key: k.key } });
      await h.kw.ctx.usage.flush();
      const rows = await h.kw.ctx.store.db.selectFrom('key_usage').selectAll().where('key_id', '=', k.keyId).execute();
      expect(rows.reduce((n, r) => n + Number(r.count), 0)).toBe(2);
      expect(rows.length).toBeLessThanOrEqual(2); // two only if the hour turned between the calls
    });

    it('a use recorded for a key deleted before the flush leaves no usage rows', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      await h.call('DELETE', `/v1/accounts/${t.accountId}/keys/${k.keyId}`, { token: t.adminToken, body: { confirm: k.applicationId } });
      h.kw.ctx.usage.record(k.keyId, Date.now());
      await h.kw.ctx.usage.flush();
      expect(await h.kw.ctx.store.db.selectFrom('key_usage').selectAll().where('key_id', '=', k.keyId).execute()).toEqual([]);
    });

    it('a failed flush keeps its uses for the next one (none lost, none doubled)', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const db = h.kw.ctx.store.db;
      await h.kw.ctx.usage.flush();
      await sql`alter table key_usage rename to key_usage_away`.execute(db);
      try {
        expect((await h.call('POST', '/v1/keys/verify', { body: { key: k.key } })).body.code).toBe('VALID');
        await expect(h.kw.ctx.usage.flush()).rejects.toThrow();
        expect(h.kw.ctx.usage.pendingLastUsed(k.keyId)).not.toBeNull();
      } finally {
        await sql`alter table key_usage_away rename to key_usage`.execute(db);
      }
      await h.call('POST', '/v1/keys/verify', { body: { key: k.key } });
      await h.kw.ctx.usage.flush();
      const key = await h.call('GET', `/v1/accounts/${t.accountId}/keys/${k.keyId}`, { token: t.adminToken });
      expect(key.body.usageCount).toBe(2);
      const rows = await db.selectFrom('key_usage').selectAll().where('key_id', '=', k.keyId).execute();
      expect(rows.reduce((n, r) => n + Number(r.count), 0)).toBe(2);
    });

    it('rejects bad ranges', async () => {
      const t = await h.tenant();
      const base = `/v1/accounts/${t.accountId}/usage`;
      expect((await h.call('GET', `${base}?from=10&to=5`, { token: t.adminToken })).status).toBe(400);
      expect((await h.call('GET', `${base}?from=0&to=${200 * 24 * HOUR}`, { token: t.adminToken })).status).toBe(400);
      expect((await h.call('GET', `${base}?from=abc`, { token: t.adminToken })).body.error.code).toBe('VALIDATION_FAILED');
    });

    it('needs keys.view; .mine sees only its own applications; customer keys only for admins', async () => {
      const t = await h.tenant();
      const nobody = await h.user(t, { permissions: ['applications.view'] });
      expect((await h.call('GET', `/v1/accounts/${t.accountId}/usage`, { token: nobody.token })).status).toBe(403);
      const mine = await h.user(t, {
        permissions: ['applications.create', 'keys.create.mine', 'keys.view.mine'],
        apiScopes: ['device:read'],
      });
      const own = await appWithKey(h, t, mine.token, ['device:read']);
      const other = await appWithKey(h, t, t.adminToken, ['device:read']);
      const r = await h.call('GET', `/v1/accounts/${t.accountId}/usage`, { token: mine.token });
      expect(r.body.series.map((s: any) => s.keyId)).toEqual([own.keyId]);
      const denied = await h.call('GET', `/v1/accounts/${t.accountId}/usage?keyId=${other.keyId}`, { token: mine.token });
      expect(denied.status).toBe(403);
      const billing = await h.call('POST', `/v1/accounts/${t.accountId}/keys`, {
        token: t.adminToken,
        body: { kind: 'customer', name: 'B', scopes: ['billing:access'] },
      });
      const any = await h.user(t, { permissions: ['keys.view.any'] });
      const seen = (await h.call('GET', `/v1/accounts/${t.accountId}/usage`, { token: any.token })).body.series.map((s: any) => s.keyId);
      expect(seen).toContain(other.keyId);
      expect(seen).not.toContain(billing.body.accessKey.id);
      const adminSeen = (await h.call('GET', `/v1/accounts/${t.accountId}/usage`, { token: t.adminToken })).body.series;
      expect(adminSeen.map((s: any) => s.keyId)).toContain(billing.body.accessKey.id);
    });

    it("security: another account's keys answer 404", async () => {
      const a = await h.tenant();
      const b = await h.tenant();
      const k = await appWithKey(h, a, a.adminToken, ['device:read']);
      expect((await h.call('GET', `/v1/accounts/${a.accountId}/usage`, { token: b.adminToken })).status).toBe(404);
      const cross = await h.call('GET', `/v1/accounts/${b.accountId}/usage?keyId=${k.keyId}`, { token: b.adminToken });
      expect(cross.status).toBe(404);
      expect(cross.body.error.code).toBe('KEY_NOT_FOUND');
    });
  });

  describe.skipIf(!dialect.enabled)(`key usage survives a clean shutdown [${dialect.name}]`, () => {
    it('close() flushes buffered uses: reopening the store finds every one', async () => {
      const db = await dialect.create();
      const dataDir = mkdtempSync(join(tmpdir(), 'keyward-data-'));
      const config = loadConfig(
        {},
        // No periodic flush during the test: only close() can have written the uses.
        {
          databaseUrl: db.url,
          bootstrapEmail: OPERATOR.email,
          bootstrapPassword: OPERATOR.password,
          dataDir,
          usageFlushIntervalMs: 3_600_000,
        },
      );
      try {
        const first = await createKeyward(config);
        const h1 = { kw: first, call: callOf(first) };
        const op = (await h1.call('POST', '/v1/auth/login', { body: OPERATOR })).body.token;
        const acc = await h1.call('POST', '/v1/accounts', {
          token: op,
          body: { name: 'T', admin: { email: 'a@test.local', name: 'A', password: 'admin-password-1' } },
        });
        const admin = (await h1.call('POST', '/v1/auth/login', { body: { email: 'a@test.local', password: 'admin-password-1' } })).body
          .token;
        const app = await h1.call('POST', `/v1/accounts/${acc.body.account.id}/applications`, { token: admin, body: { name: 'A' } });
        const key = await h1.call('POST', `/v1/accounts/${acc.body.account.id}/applications/${app.body.id}/keys`, {
          token: admin,
          body: { name: 'k', scopes: ['device:read'] },
        });
        for (let i = 0; i < 5; i++)
          expect((await h1.call('POST', '/v1/keys/verify', { body: { key: key.body.key } })).body.valid).toBe(true);
        const unflushed = await first.ctx.store.db.selectFrom('key_usage').selectAll().execute();
        expect(unflushed).toEqual([]);
        await first.close();

        const second = await createKeyward(config);
        try {
          const row = await second.ctx.store.db
            .selectFrom('access_keys')
            .select(['usage_count', 'last_used_at'])
            .where('id', '=', key.body.accessKey.id)
            .executeTakeFirstOrThrow();
          expect(Number(row.usage_count)).toBe(5);
          expect(row.last_used_at).not.toBeNull();
          const buckets = await second.ctx.store.db.selectFrom('key_usage').selectAll().execute();
          expect(buckets.reduce((n, b) => n + Number(b.count), 0)).toBe(5);
        } finally {
          await second.close();
        }
      } finally {
        await db.drop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}

function callOf(kw: Awaited<ReturnType<typeof createKeyward>>) {
  return async (method: string, url: string, opts: { token?: string; body?: unknown } = {}) => {
    const res = await kw.app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(opts.token !== undefined && { authorization: `Bearer ${opts.token}` }),
        ...(opts.body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(opts.body !== undefined && { payload: JSON.stringify(opts.body) }),
    });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
  };
}
