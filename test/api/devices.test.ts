import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Change } from '../../src/core/changes.js';
import { createHarness, DIALECTS, type Harness } from '../harness.js';
import { checkCode, createDevice, sharedSecret } from '../signing.js';

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`devices [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());

    it('creates a device with its own 512-bit secret by default; the secret signs', async () => {
      const t = await h.tenant();
      const res = await h.call('POST', `/v1/accounts/${t.accountId}/devices`, { token: t.adminToken, body: { name: 'Sensor 1' } });
      expect(res.status).toBe(201);
      expect(res.body.secret).toMatch(/^[0-9a-f]{128}$/);
      expect(res.body.device).toMatchObject({
        accountId: t.accountId,
        name: 'Sensor 1',
        status: 'active',
        secretSource: 'own',
        lastUsedAt: null,
      });
      expect(res.body.device.id).toMatch(/^\w{20}$/);
      expect(Object.keys(res.body.device).sort()).toEqual(
        [
          'accountId',
          'createdAt',
          'id',
          'lastUsedAt',
          'name',
          'rejectedCount',
          'secretSource',
          'secretUpdatedAt',
          'status',
          'updatedAt',
          'usageCount',
        ].sort(),
      );
      const got = await h.call('GET', `/v1/accounts/${t.accountId}/devices/${res.body.device.id}`, { token: t.adminToken });
      expect(got.body.secretSource).toBe('own');
      expect(await checkCode(h, res.body.device.id, res.body.secret)).toBe('VALID');
      const after = await h.call('GET', `/v1/accounts/${t.accountId}/devices/${res.body.device.id}`, { token: t.adminToken });
      expect(after.body.lastUsedAt).toEqual(expect.any(Number));
    });

    it('two devices never share a generated own secret or id', async () => {
      const t = await h.tenant();
      const a = await createDevice(h, t);
      const b = await createDevice(h, t);
      expect(a.id).not.toBe(b.id);
      expect(a.secret).not.toBe(b.secret);
      expect(await checkCode(h, b.id, a.secret as string)).toBe('INVALID_SIGNATURE');
    });

    it('uses the account shared secret when asked; get shows secretSource shared', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t, { useSharedSecret: true });
      expect(d.secret).toBeNull();
      expect(d.device.secretSource).toBe('shared');
      const got = await h.call('GET', `/v1/accounts/${t.accountId}/devices/${d.id}`, { token: t.adminToken });
      expect(got.body.secretSource).toBe('shared');
      expect(await checkCode(h, d.id, await sharedSecret(h, t))).toBe('VALID');
    });

    it('lists every device, disabled included, newest last, never with a secret', async () => {
      const t = await h.tenant();
      const a = await createDevice(h, t, { name: 'first' });
      const b = await createDevice(h, t, { name: 'second', useSharedSecret: true });
      const c = await createDevice(h, t, { name: 'third' });
      await h.call('PATCH', `/v1/accounts/${t.accountId}/devices/${b.id}`, { token: t.adminToken, body: { status: 'disabled' } });
      const list = await h.call('GET', `/v1/accounts/${t.accountId}/devices`, { token: t.adminToken });
      expect(list.status).toBe(200);
      expect(list.body.devices.map((d: { id: string }) => d.id)).toEqual([a.id, b.id, c.id]);
      expect(list.body.devices[1].status).toBe('disabled');
      const text = JSON.stringify(list.body);
      expect(text).not.toContain(a.secret);
      expect(text).not.toContain(c.secret);
      expect(text).not.toContain(await sharedSecret(h, t));
      expect(text).not.toMatch(/secret"\s*:/);
    });

    it('renames, disables and enables a device; a disabled device is rejected', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const url = `/v1/accounts/${t.accountId}/devices/${d.id}`;
      const renamed = await h.call('PATCH', url, { token: t.adminToken, body: { name: 'Renamed' } });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ name: 'Renamed', status: 'active' });
      const disabled = await h.call('PATCH', url, { token: t.adminToken, body: { status: 'disabled' } });
      expect(disabled.body.status).toBe('disabled');
      expect(await checkCode(h, d.id, d.secret as string)).toBe('DEVICE_DISABLED');
      await h.call('PATCH', url, { token: t.adminToken, body: { status: 'active' } });
      expect(await checkCode(h, d.id, d.secret as string)).toBe('VALID');
    });

    it('deletes a device: it is gone and its signatures fail like an unknown device', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const url = `/v1/accounts/${t.accountId}/devices/${d.id}`;
      const del = await h.call('DELETE', url, { token: t.adminToken });
      expect(del.status).toBe(200);
      expect(del.body).toEqual({ ok: true });
      const got = await h.call('GET', url, { token: t.adminToken });
      expect(got.status).toBe(404);
      expect(got.body.error.code).toBe('DEVICE_NOT_FOUND');
      expect(await checkCode(h, d.id, d.secret as string)).toBe('INVALID_SIGNATURE');
      expect((await h.call('DELETE', url, { token: t.adminToken })).status).toBe(404);
    });

    it('resets a device to a new own secret: the old one stops working', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const res = await h.call('POST', `/v1/accounts/${t.accountId}/devices/${d.id}/reset-secret`, {
        token: t.adminToken,
        body: { useSharedSecret: false },
      });
      expect(res.status).toBe(200);
      expect(res.body.secret).toMatch(/^[0-9a-f]{128}$/);
      expect(res.body.secret).not.toBe(d.secret);
      expect(res.body.device.secretSource).toBe('own');
      expect(await checkCode(h, d.id, d.secret as string)).toBe('INVALID_SIGNATURE');
      expect(await checkCode(h, d.id, res.body.secret)).toBe('VALID');
    });

    it('resets a device to the shared secret, and back to an own one', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const url = `/v1/accounts/${t.accountId}/devices/${d.id}/reset-secret`;
      const toShared = await h.call('POST', url, { token: t.adminToken, body: { useSharedSecret: true } });
      expect(toShared.body).toMatchObject({ secret: null, device: { secretSource: 'shared' } });
      expect(await checkCode(h, d.id, d.secret as string)).toBe('INVALID_SIGNATURE');
      const shared = await sharedSecret(h, t);
      expect(await checkCode(h, d.id, shared)).toBe('VALID');
      const toOwn = await h.call('POST', url, { token: t.adminToken, body: { useSharedSecret: false } });
      expect(toOwn.body.device.secretSource).toBe('own');
      expect(await checkCode(h, d.id, shared)).toBe('INVALID_SIGNATURE');
      expect(await checkCode(h, d.id, toOwn.body.secret)).toBe('VALID');
    });

    it('rejects bad input with VALIDATION_FAILED and writes nothing', async () => {
      const t = await h.tenant();
      const base = `/v1/accounts/${t.accountId}/devices`;
      for (const body of [{}, { name: '' }, { name: 'x'.repeat(101) }, { name: 'ok', useSharedSecret: 'yes' }]) {
        const r = await h.call('POST', base, { token: t.adminToken, body });
        expect(r.status).toBe(400);
        expect(r.body.error.code).toBe('VALIDATION_FAILED');
      }
      expect((await h.call('GET', base, { token: t.adminToken })).body.devices).toEqual([]);
      const d = await createDevice(h, t);
      const bad = await h.call('PATCH', `${base}/${d.id}`, { token: t.adminToken, body: { status: 'revoked' } });
      expect(bad.status).toBe(400);
      const noFlag = await h.call('POST', `${base}/${d.id}/reset-secret`, { token: t.adminToken, body: {} });
      expect(noFlag.status).toBe(400);
      expect(await checkCode(h, d.id, d.secret as string)).toBe('VALID');
    });

    it('devices.view may read but not change; devices.manage may change; others get 403', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const base = `/v1/accounts/${t.accountId}/devices`;
      const viewer = await h.user(t, { permissions: ['devices.view'] });
      expect((await h.call('GET', base, { token: viewer.token })).status).toBe(200);
      expect((await h.call('GET', `${base}/${d.id}`, { token: viewer.token })).status).toBe(200);
      for (const [method, url, body] of [
        ['POST', base, { name: 'x' }],
        ['PATCH', `${base}/${d.id}`, { name: 'x' }],
        ['DELETE', `${base}/${d.id}`, undefined],
        ['POST', `${base}/${d.id}/reset-secret`, { useSharedSecret: false }],
      ] as const) {
        const r = await h.call(method, url, { token: viewer.token, body });
        expect(r.status, `${method} ${url}`).toBe(403);
      }
      const nobody = await h.user(t, { permissions: ['applications.view'] });
      expect((await h.call('GET', base, { token: nobody.token })).status).toBe(403);
      const manager = await h.user(t, { permissions: ['devices.manage'] });
      expect((await h.call('POST', base, { token: manager.token, body: { name: 'by manager' } })).status).toBe(201);
      expect((await h.call('GET', base, { token: manager.token })).status).toBe(200);
    });

    it('an access key with keyward:devices.manage manages devices', async () => {
      const t = await h.tenant();
      const app = await h.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'ops' } });
      const key = await h.call('POST', `/v1/accounts/${t.accountId}/applications/${app.body.id}/keys`, {
        token: t.adminToken,
        body: { name: 'devices', scopes: ['keyward:devices.manage'] },
      });
      expect(key.status).toBe(201);
      const created = await h.call('POST', `/v1/accounts/${t.accountId}/devices`, { token: key.body.key, body: { name: 'via key' } });
      expect(created.status).toBe(201);
    });

    it("never shows or touches another account's devices (404 like a missing id)", async () => {
      const a = await h.tenant();
      const b = await h.tenant();
      const d = await createDevice(h, a);
      for (const [method, body, suffix] of [
        ['GET', undefined, ''],
        ['PATCH', { name: 'stolen' }, ''],
        ['DELETE', undefined, ''],
        ['POST', { useSharedSecret: false }, '/reset-secret'],
      ] as const) {
        const own = await h.call(method, `/v1/accounts/${b.accountId}/devices/${d.id}${suffix}`, { token: b.adminToken, body });
        expect(own.status).toBe(404);
        expect(own.body.error.code).toBe('DEVICE_NOT_FOUND');
        const foreign = await h.call(method, `/v1/accounts/${a.accountId}/devices/${d.id}${suffix}`, { token: b.adminToken, body });
        expect(foreign.status).toBe(404);
        expect(foreign.body.error.code).toBe('ACCOUNT_NOT_FOUND');
      }
      expect((await h.call('GET', `/v1/accounts/${a.accountId}/devices`, { token: b.adminToken })).status).toBe(404);
      const missing = await h.call('GET', `/v1/accounts/${b.accountId}/devices/dev_doesnotexist0000`, { token: b.adminToken });
      expect(missing.body.error.code).toBe('DEVICE_NOT_FOUND');
      const still = await h.call('GET', `/v1/accounts/${a.accountId}/devices/${d.id}`, { token: a.adminToken });
      expect(still.body.name).toBe('Device');
      expect(await checkCode(h, d.id, d.secret as string)).toBe('VALID');
    });

    it('stores secrets encrypted: the raw columns never hold the plaintext', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const shared = await sharedSecret(h, t);
      const row = await h.kw.ctx.store.db.selectFrom('devices').select('secret_enc').where('id', '=', d.id).executeTakeFirstOrThrow();
      expect(row.secret_enc).toMatch(/^v1\./);
      expect(row.secret_enc).not.toContain(d.secret as string);
      expect(row.secret_enc).not.toContain(
        Buffer.from(d.secret as string, 'hex')
          .toString('base64url')
          .slice(0, 20),
      );
      const sharedRow = await h.kw.ctx.store.db
        .selectFrom('account_shared_secrets')
        .select('secret_enc')
        .where('account_id', '=', t.accountId)
        .executeTakeFirstOrThrow();
      expect(sharedRow.secret_enc).toMatch(/^v1\./);
      expect(sharedRow.secret_enc).not.toContain(shared);
    });

    it('audits every change and secret event, with who and when, never the secret', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const url = `/v1/accounts/${t.accountId}/devices/${d.id}`;
      await h.call('PATCH', url, { token: t.adminToken, body: { name: 'Renamed' } });
      const reset = await h.call('POST', `${url}/reset-secret`, { token: t.adminToken, body: { useSharedSecret: false } });
      const shared = await sharedSecret(h, t);
      const sharedReset = await h.call('POST', `/v1/accounts/${t.accountId}/shared-secret/reset`, {
        token: t.adminToken,
        body: { confirm: 'Yes, I do confirm it', resetAllDevices: true },
      });
      await h.call('DELETE', url, { token: t.adminToken });
      const audit = await h.call('GET', `/v1/accounts/${t.accountId}/audit?limit=50`, { token: t.adminToken });
      const events = audit.body.events;
      const actions = (events as { action: string }[]).map((e) => e.action);
      for (const a of [
        'device.create',
        'device.update',
        'device_secret.reset',
        'shared_secret.view',
        'shared_secret.reset',
        'device.delete',
      ]) {
        expect(actions).toContain(a);
      }
      const resetEvent = (events as { action: string; details: unknown; actorId: string; createdAt: number }[]).find(
        (e) => e.action === 'shared_secret.reset',
      );
      expect(resetEvent).toMatchObject({
        actorId: t.adminId,
        details: { resetAllDevices: true, devicesReset: 1 },
        createdAt: expect.any(Number),
      });
      const text = JSON.stringify(audit.body);
      for (const s of [d.secret as string, reset.body.secret, shared, sharedReset.body.secret]) expect(text).not.toContain(s);
    });

    it('announces device and account changes on the change feed', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const seen: Change[] = [];
      const off = h.kw.ctx.changes.subscribe((c) => seen.push(c));
      try {
        const url = `/v1/accounts/${t.accountId}/devices/${d.id}`;
        await h.call('PATCH', url, { token: t.adminToken, body: { status: 'disabled' } });
        await h.call('POST', `${url}/reset-secret`, { token: t.adminToken, body: { useSharedSecret: true } });
        await h.call('POST', `/v1/accounts/${t.accountId}/shared-secret/reset`, {
          token: t.adminToken,
          body: { confirm: 'Yes, I do confirm it', resetAllDevices: false },
        });
        await h.call('DELETE', url, { token: t.adminToken });
      } finally {
        off();
      }
      expect(seen).toEqual([
        { type: 'device', deviceId: d.id },
        { type: 'device', deviceId: d.id },
        { type: 'account', accountId: t.accountId },
        { type: 'device', deviceId: d.id },
      ]);
    });
  });
}
