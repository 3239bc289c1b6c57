import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';
import { createDevice, signedCheck } from '../signing.js';

/**
 * Issue #12: signed device requests in usage. Per device and hour, the requests let through
 * (`count`) and those the account's limits refused (`rejected`); totals and last use on the
 * device; the account usage routes. Same durability as key usage: one flush transaction, a
 * failed flush keeps everything for the next one.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`device usage [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      // Every test flushes explicitly (or through GET /usage): no background flush interleaves.
      h = await createHarness(dialect, { usageFlushIntervalMs: 3_600_000 });
    });
    afterAll(async () => h?.close());

    const verify = async (deviceId: string, secret: string) =>
      (await h.call('POST', '/v1/signatures/verify', { body: signedCheck(deviceId, secret) })).body.code as string;
    const authorize = (deviceId: string, secret: string, path: string) => {
      const c = signedCheck(deviceId, secret, { method: 'GET', path, host: 'api.example.com', body: '' });
      return h.call('GET', '/v1/authorize', {
        headers: {
          authorization: c.authorization,
          'x-bcot-timestamp': c.timestamp,
          'x-original-method': 'GET',
          'x-original-uri': path,
          'x-original-host': 'api.example.com',
        },
      });
    };
    const getDevice = async (t: Tenant, id: string) =>
      (await h.call('GET', `/v1/accounts/${t.accountId}/devices/${id}`, { token: t.adminToken })).body;
    /** One sample of GET /metrics (0 when absent). */
    const metric = async (sample: string) => {
      const res = await h.kw.app.inject({ method: 'GET', url: '/metrics' });
      const line = res.body.split('\n').find((l) => l.startsWith(`${sample} `));
      return line === undefined ? 0 : Number(line.slice(sample.length + 1));
    };
    const sum = (points: { count: number; rejected: number }[]) =>
      points.reduce((n, p) => ({ count: n.count + p.count, rejected: n.rejected + p.rejected }), { count: 0, rejected: 0 });

    it('counts signed requests let through (verify and /v1/authorize), never a wrong signature, a replay, a disabled device or a scope denial', async () => {
      const t = await h.tenant();
      const dev = await createDevice(h, t, { name: 'Meter 7' });
      const secret = dev.secret as string;
      const before = Date.now();
      expect(await verify(dev.id, secret)).toBe('VALID');
      expect(await verify(dev.id, 'f'.repeat(128))).toBe('INVALID_SIGNATURE');
      const once = signedCheck(dev.id, secret);
      expect((await h.call('POST', '/v1/signatures/verify', { body: once })).body.code).toBe('VALID');
      expect((await h.call('POST', '/v1/signatures/verify', { body: once })).body.code).toBe('REPLAYED');
      expect((await authorize(dev.id, secret, '/integration/device/status?n=1')).status).toBe(200);
      expect((await authorize(dev.id, secret, '/integration/usage/details')).status).toBe(403); // SCOPE_DENIED
      // Shown before the flush: the last use is read from this node's buffer.
      const unflushed = await getDevice(t, dev.id);
      expect(unflushed.lastUsedAt).toBeGreaterThanOrEqual(before);
      expect(unflushed.usageCount).toBe(0);
      await h.call('PATCH', `/v1/accounts/${t.accountId}/devices/${dev.id}`, { token: t.adminToken, body: { status: 'disabled' } });
      expect(await verify(dev.id, secret)).toBe('DEVICE_DISABLED');
      await h.kw.ctx.usage.flush();
      const got = await getDevice(t, dev.id);
      expect([got.usageCount, got.rejectedCount]).toEqual([3, 0]);
      expect(got.lastUsedAt).toBeGreaterThanOrEqual(before);

      const usage = await h.call('GET', `/v1/accounts/${t.accountId}/usage`, { token: t.adminToken });
      expect(usage.status).toBe(200);
      expect(usage.body.devices).toHaveLength(1);
      expect(usage.body.devices[0].deviceId).toBe(dev.id);
      expect(sum(usage.body.devices[0].points)).toEqual({ count: 3, rejected: 0 });
      for (const p of usage.body.devices[0].points) expect(p.t % 3_600_000).toBe(0);
      const one = await h.call('GET', `/v1/accounts/${t.accountId}/usage?deviceId=${dev.id}`, { token: t.adminToken });
      expect(one.body.series).toEqual([]);
      expect(one.body.devices).toEqual([{ deviceId: dev.id, points: [expect.objectContaining({ count: 3, rejected: 0 })] }]);
    });

    it("refusals by the account's limits are counted as `rejected`, on verify and /v1/authorize; not as uses; summed per account for the operator", async () => {
      const t = await h.tenant();
      const a = await createDevice(h, t);
      const b = await createDevice(h, t);
      const set = await h.call('PATCH', `/v1/accounts/${t.accountId}`, {
        token: h.operatorToken,
        body: { ratelimits: [{ name: 'devices', limit: 3, window: 'hour' }] },
      });
      expect(set.status).toBe(200);
      const limitedBefore = await metric('keyward_ratelimit_decisions_total{outcome="limited"}');
      const allowedBefore = await metric('keyward_ratelimit_decisions_total{outcome="allowed"}');
      const codes: string[] = [];
      for (let i = 0; i < 4; i++) codes.push(await verify(a.id, a.secret as string));
      expect(codes).toEqual(['VALID', 'VALID', 'VALID', 'RATE_LIMITED']);
      const over = await authorize(b.id, b.secret as string, '/integration/device/status?n=2');
      expect([over.status, over.body.error.code]).toEqual([429, 'RATE_LIMITED']);
      expect(await verify(b.id, b.secret as string)).toBe('RATE_LIMITED');
      // Device decisions are counted like keys' (the same closed label set, no ids).
      expect(await metric('keyward_ratelimit_decisions_total{outcome="limited"}')).toBe(limitedBefore + 3);
      expect(await metric('keyward_ratelimit_decisions_total{outcome="allowed"}')).toBe(allowedBefore + 3);

      const usage = await h.call('GET', `/v1/accounts/${t.accountId}/usage`, { token: t.adminToken });
      const byDevice = Object.fromEntries(usage.body.devices.map((s: any) => [s.deviceId, sum(s.points)]));
      expect(byDevice).toEqual({ [a.id]: { count: 3, rejected: 1 }, [b.id]: { count: 0, rejected: 2 } });
      const gotB = await getDevice(t, b.id);
      // Refusals alone: no use, no last-used time.
      expect([gotB.usageCount, gotB.rejectedCount, gotB.lastUsedAt]).toEqual([0, 2, null]);
      expect((await getDevice(t, a.id)).usageCount).toBe(3);

      const all = await h.call('GET', '/v1/accounts/usage', { token: h.operatorToken });
      expect(all.status).toBe(200);
      const row = all.body.accounts.find((r: any) => r.accountId === t.accountId);
      expect(row).toMatchObject({ devices: 2, deviceUses: 3, deviceRejected: 3, uses: 0, rejected: 0 });
      expect(row.deviceLastUsedAt).toEqual(expect.any(Number));
    });

    it('a failed flush keeps device uses and refusals for the next one (none lost, none doubled)', async () => {
      const t = await h.tenant();
      const dev = await createDevice(h, t);
      const db = h.kw.ctx.store.db;
      await h.kw.ctx.usage.flush();
      await sql`alter table device_usage rename to device_usage_away`.execute(db);
      try {
        expect(await verify(dev.id, dev.secret as string)).toBe('VALID');
        h.kw.ctx.usage.recordDeviceRejected(dev.id, Date.now());
        await expect(h.kw.ctx.usage.flush()).rejects.toThrow();
        expect(h.kw.ctx.usage.pendingDeviceLastUsed(dev.id)).not.toBeNull();
      } finally {
        await sql`alter table device_usage_away rename to device_usage`.execute(db);
      }
      // The device totals were rolled back with the failed flush, not written twice.
      expect((await getDevice(t, dev.id)).usageCount).toBe(0);
      expect(await verify(dev.id, dev.secret as string)).toBe('VALID');
      await h.kw.ctx.usage.flush();
      const got = await getDevice(t, dev.id);
      expect([got.usageCount, got.rejectedCount]).toEqual([2, 1]);
      const rows = await db.selectFrom('device_usage').selectAll().where('device_id', '=', dev.id).execute();
      expect(rows.reduce((n, r) => n + Number(r.count), 0)).toBe(2);
      expect(rows.reduce((n, r) => n + Number(r.rejected), 0)).toBe(1);
    });

    it('a deleted device leaves no usage rows, also for requests buffered before or recorded after the delete', async () => {
      const t = await h.tenant();
      const dev = await createDevice(h, t);
      expect(await verify(dev.id, dev.secret as string)).toBe('VALID');
      await h.kw.ctx.usage.flush();
      const rowsOf = () => h.kw.ctx.store.db.selectFrom('device_usage').selectAll().where('device_id', '=', dev.id).execute();
      expect((await rowsOf()).length).toBeGreaterThan(0);
      expect(await verify(dev.id, dev.secret as string)).toBe('VALID');
      const del = await h.call('DELETE', `/v1/accounts/${t.accountId}/devices/${dev.id}`, { token: t.adminToken });
      expect(del.status).toBe(200);
      expect(await rowsOf()).toEqual([]);
      h.kw.ctx.usage.recordDevice(dev.id, Date.now());
      await h.kw.ctx.usage.flush();
      expect(await rowsOf()).toEqual([]);
    });

    it('rolling upgrade: a device a node of the previous version inserts (no usage columns) starts at 0 and is counted; an older last use is never moved back', async () => {
      const t = await h.tenant();
      const made = await createDevice(h, t);
      const db = h.kw.ctx.store.db as any;
      const row = await db.selectFrom('devices').selectAll().where('id', '=', made.id).executeTakeFirstOrThrow();
      const { usage_count: _u, rejected_count: _r, ...previousVersion } = row;
      const id = `${made.id.slice(0, 14)}oldver`;
      // The previous version's insert: none of migration 0011's columns named.
      await db
        .insertInto('devices')
        .values({ ...previousVersion, id, secret_enc: null, master_key_id: null })
        .execute();
      const got = await getDevice(t, id);
      expect([got.usageCount, got.rejectedCount, got.lastUsedAt]).toEqual([0, 0, null]);
      const later = Date.now() + 3_600_000;
      // The previous version writes last_used_at itself (once a minute): a later value stays.
      await db.updateTable('devices').set({ last_used_at: later }).where('id', '=', made.id).execute();
      expect(await verify(made.id, made.secret as string)).toBe('VALID');
      h.kw.ctx.usage.recordDevice(id, Date.now());
      await h.kw.ctx.usage.flush();
      const mine = await getDevice(t, made.id);
      expect([mine.usageCount, mine.lastUsedAt]).toEqual([1, later]);
      expect((await getDevice(t, id)).usageCount).toBe(1);
    });

    it('access: devices.view alone sees devices and no keys, keys.view alone keys and no devices, neither 403; other tenants 404', async () => {
      const t = await h.tenant();
      const dev = await createDevice(h, t);
      expect(await verify(dev.id, dev.secret as string)).toBe('VALID');
      const viewer = await h.user(t, { permissions: ['devices.view'] });
      const keysOnly = await h.user(t, { permissions: ['keys.view.any'] });
      const nobody = await h.user(t, { permissions: [] });
      const asViewer = await h.call('GET', `/v1/accounts/${t.accountId}/usage`, { token: viewer.token });
      expect(asViewer.status).toBe(200);
      expect(asViewer.body.series).toEqual([]);
      expect(asViewer.body.devices.map((d: any) => d.deviceId)).toEqual([dev.id]);
      const asKeys = await h.call('GET', `/v1/accounts/${t.accountId}/usage`, { token: keysOnly.token });
      expect([asKeys.status, asKeys.body.devices]).toEqual([200, []]);
      const forbidden = await h.call('GET', `/v1/accounts/${t.accountId}/usage?deviceId=${dev.id}`, { token: keysOnly.token });
      expect([forbidden.status, forbidden.body.error.code]).toEqual([403, 'FORBIDDEN']);
      const none = await h.call('GET', `/v1/accounts/${t.accountId}/usage`, { token: nobody.token });
      expect([none.status, none.body.error.code]).toEqual([403, 'FORBIDDEN']);
      const both = await h.call('GET', `/v1/accounts/${t.accountId}/usage?deviceId=${dev.id}&keyId=${dev.id}`, { token: t.adminToken });
      expect([both.status, both.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);

      const other = await h.tenant();
      const cross = await h.call('GET', `/v1/accounts/${other.accountId}/usage?deviceId=${dev.id}`, { token: other.adminToken });
      expect([cross.status, cross.body.error.code]).toEqual([404, 'DEVICE_NOT_FOUND']);
      expect((await h.call('GET', `/v1/accounts/${t.accountId}/usage`, { token: other.adminToken })).status).toBe(404);
    });
  });
}
