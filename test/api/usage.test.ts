import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createKeyward } from '../../src/server.js';
import { appWithKey, createHarness, DIALECTS, type Harness, OPERATOR } from '../harness.js';
import { signedCheck } from '../signing.js';

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
      expect(one.body.series).toEqual([{ keyId: b.keyId, points: [expect.objectContaining({ count: 1, rejected: 0 })] }]);
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

    it('a failed flush keeps its uses and refusals for the next one (none lost, none doubled)', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const db = h.kw.ctx.store.db;
      await h.kw.ctx.usage.flush();
      await sql`alter table key_usage rename to key_usage_away`.execute(db);
      try {
        expect((await h.call('POST', '/v1/keys/verify', { body: { key: k.key } })).body.code).toBe('VALID');
        h.kw.ctx.usage.recordRejected(k.keyId, Date.now());
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
      expect(rows.reduce((n, r) => n + Number(r.rejected), 0)).toBe(1); // refusals kept too, none doubled
    });

    it('counts verifications a rate limit or quota refused as `rejected` per hour, on the route, the fast path and /v1/authorize; not as uses', async () => {
      const t = await h.tenant();
      const limited = await appWithKey(h, t, t.adminToken, ['device:read'], {
        ratelimits: [{ name: 'default', limit: 2, window: 'hour' }],
      });
      // The fast path answers over real HTTP only (not inject); the harness closes the listener.
      const base = h.kw.app.server.listening
        ? `http://127.0.0.1:${(h.kw.app.server.address() as AddressInfo).port}`
        : await h.kw.app.listen({ host: '127.0.0.1', port: 0 });
      const fastVerify = async (body: object): Promise<string> => {
        const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
        return ((await (await fetch(`${base}/v1/keys/verify`, init)).json()) as { code: string }).code;
      };
      {
        const codes = [await fastVerify({ key: limited.key })];
        codes.push((await h.call('POST', '/v1/keys/verify', { body: { key: limited.key } })).body.code);
        codes.push(await fastVerify({ key: limited.key })); // refused by the fast path
        codes.push((await h.call('POST', '/v1/keys/verify', { body: { key: limited.key } })).body.code); // refused by the route
        codes.push((await h.call('POST', '/v1/keys/verify', { body: { key: limited.key, scopes: ['billing:access'] } })).body.code);
        expect(codes).toEqual(['VALID', 'VALID', 'RATE_LIMITED', 'RATE_LIMITED', 'INSUFFICIENT_SCOPE']);
      }
      expect((await authorize(limited.key, '/integration/device/csvExport')).status).toBe(429);
      expect((await authorize(limited.key, '/integration/device/sendmsg')).status).toBe(403); // denied by scope first: not counted

      const spent = await appWithKey(h, t, t.adminToken, ['device:read'], { quota: { credits: 1 } });
      expect((await h.call('POST', '/v1/keys/verify', { body: { key: spent.key } })).body.code).toBe('VALID');
      await h.kw.ctx.usage.flush();
      const lastUsed = (await h.call('GET', `/v1/accounts/${t.accountId}/keys/${spent.keyId}`, { token: t.adminToken })).body.lastUsedAt;
      for (let i = 0; i < 4; i++)
        expect((await h.call('POST', '/v1/keys/verify', { body: { key: spent.key } })).body.code).toBe('USAGE_EXCEEDED');
      expect((await authorize(spent.key, '/integration/device/csvExport')).status).toBe(429);
      expect(h.kw.ctx.usage.pendingLastUsed(spent.keyId)).toBe(null); // a refusal is not a use: no recent-use confirmation from it

      const r = await h.call('GET', `/v1/accounts/${t.accountId}/usage`, { token: t.adminToken });
      const sum = (keyId: string, field: 'count' | 'rejected') =>
        r.body.series.find((s: any) => s.keyId === keyId).points.reduce((n: number, p: any) => n + p[field], 0);
      expect([sum(limited.keyId, 'count'), sum(limited.keyId, 'rejected')]).toEqual([2, 3]);
      expect([sum(spent.keyId, 'count'), sum(spent.keyId, 'rejected')]).toEqual([1, 5]);
      const keys = await Promise.all(
        [limited, spent].map(
          async (k) => (await h.call('GET', `/v1/accounts/${t.accountId}/keys/${k.keyId}`, { token: t.adminToken })).body,
        ),
      );
      expect(keys.map((k) => k.usageCount)).toEqual([2, 1]);
      expect(keys[1].lastUsedAt).toBe(lastUsed);
    });

    it('refusals of a key deleted before the flush leave no usage rows; refusals alone make an hour with count 0', async () => {
      const t = await h.tenant();
      const gone = await appWithKey(h, t, t.adminToken, ['device:read']);
      await h.call('DELETE', `/v1/accounts/${t.accountId}/keys/${gone.keyId}`, {
        token: t.adminToken,
        body: { confirm: gone.applicationId },
      });
      h.kw.ctx.usage.recordRejected(gone.keyId, Date.now());
      const kept = await appWithKey(h, t, t.adminToken, ['device:read']);
      const hour = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;
      h.kw.ctx.usage.recordRejected(kept.keyId, hour + 10);
      h.kw.ctx.usage.recordRejected(kept.keyId, hour + 20);
      await h.kw.ctx.usage.flush();
      const rows = await h.kw.ctx.store.db.selectFrom('key_usage').selectAll().where('key_id', 'in', [gone.keyId, kept.keyId]).execute();
      expect(rows.map((row) => [row.key_id, Number(row.bucket_start), Number(row.count), Number(row.rejected)])).toEqual([
        [kept.keyId, hour, 0, 2],
      ]);
      const one = await h.call('GET', `/v1/accounts/${t.accountId}/usage?keyId=${kept.keyId}`, { token: t.adminToken });
      expect(one.body.series).toEqual([{ keyId: kept.keyId, points: [{ t: hour, count: 0, rejected: 2 }] }]);
      const key = (await h.call('GET', `/v1/accounts/${t.accountId}/keys/${kept.keyId}`, { token: t.adminToken })).body;
      expect([key.usageCount, key.lastUsedAt]).toEqual([0, null]);
    });

    it('a node of the previous version (no `rejected` in its insert) still writes uses on a migrated database', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const db = h.kw.ctx.store.db as any;
      const hour = Math.floor(Date.now() / HOUR) * HOUR - 7 * HOUR;
      for (let i = 0; i < 2; i++) {
        await db
          .insertInto('key_usage')
          .values({ key_id: k.keyId, bucket_start: hour, count: 3 })
          .onConflict((oc: any) => oc.columns(['key_id', 'bucket_start']).doUpdateSet({ count: sql`key_usage.count + excluded.count` }))
          .execute();
      }
      h.kw.ctx.usage.recordRejected(k.keyId, hour);
      await h.kw.ctx.usage.flush();
      const one = await h.call('GET', `/v1/accounts/${t.accountId}/usage?keyId=${k.keyId}`, { token: t.adminToken });
      expect(one.body.series[0].points).toEqual([{ t: hour, count: 6, rejected: 1 }]);
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
        // A device's signed requests are buffered and written by the same close().
        const dev = await h1.call('POST', `/v1/accounts/${acc.body.account.id}/devices`, { token: admin, body: { name: 'D' } });
        for (let i = 0; i < 2; i++)
          expect(
            (await h1.call('POST', '/v1/signatures/verify', { body: signedCheck(dev.body.device.id, dev.body.secret) })).body.code,
          ).toBe('VALID');
        expect(await first.ctx.store.db.selectFrom('device_usage').selectAll().execute()).toEqual([]);
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
          const device = await second.ctx.store.db
            .selectFrom('devices')
            .select(['usage_count', 'last_used_at'])
            .where('id', '=', dev.body.device.id)
            .executeTakeFirstOrThrow();
          expect(Number(device.usage_count)).toBe(2);
          expect(device.last_used_at).not.toBeNull();
          const deviceBuckets = await second.ctx.store.db.selectFrom('device_usage').selectAll().execute();
          expect(deviceBuckets.reduce((n, b) => n + Number(b.count), 0)).toBe(2);
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
