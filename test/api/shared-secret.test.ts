import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';
import { checkCode, createDevice, sharedSecret } from '../signing.js';

const CONFIRM = 'Yes, I do confirm it';

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`shared secret [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());

    const reset = (t: Tenant, body: unknown, token = t.adminToken) =>
      h.call('POST', `/v1/accounts/${t.accountId}/shared-secret/reset`, { token, body });

    it('admins view the shared secret (created on first need, stable, audited per view)', async () => {
      const t = await h.tenant();
      const first = await h.call('GET', `/v1/accounts/${t.accountId}/shared-secret`, { token: t.adminToken });
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ secret: expect.stringMatching(/^[0-9a-f]{128}$/), updatedAt: expect.any(Number) });
      const again = await h.call('GET', `/v1/accounts/${t.accountId}/shared-secret`, { token: t.adminToken });
      expect(again.body).toEqual(first.body);
      const audit = await h.call('GET', `/v1/accounts/${t.accountId}/audit`, { token: t.adminToken });
      const views = audit.body.events.filter((e: { action: string }) => e.action === 'shared_secret.view');
      expect(views).toHaveLength(2);
      expect(views[0]).toMatchObject({ actorId: t.adminId, targetType: 'account', targetId: t.accountId });
    });

    it('the operator may view it too', async () => {
      const t = await h.tenant();
      const own = await sharedSecret(h, t);
      const op = await h.call('GET', `/v1/accounts/${t.accountId}/shared-secret`, { token: h.operatorToken });
      expect(op.body.secret).toBe(own);
    });

    it('requires the exact confirmation text; anything else changes nothing', async () => {
      const t = await h.tenant();
      const before = await sharedSecret(h, t);
      for (const confirm of [
        undefined,
        '',
        'yes',
        'Yes, I do confirm it ',
        'yes, i do confirm it',
        'Yes, I do confirm it.',
        true,
        ['Yes, I do confirm it'],
      ]) {
        const r = await reset(t, { confirm, resetAllDevices: false });
        expect(r.status, JSON.stringify(confirm)).toBe(400);
        expect(r.body.error.code).toBe('CONFIRMATION_REQUIRED');
      }
      expect(await sharedSecret(h, t)).toBe(before);
      const ok = await reset(t, { confirm: CONFIRM, resetAllDevices: false });
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ secret: expect.stringMatching(/^[0-9a-f]{128}$/), updatedAt: expect.any(Number), devicesReset: 0 });
      expect(ok.body.secret).not.toBe(before);
      expect(await sharedSecret(h, t)).toBe(ok.body.secret);
    });

    it('without resetAllDevices: shared devices follow, own-secret devices keep their old secret', async () => {
      const t = await h.tenant();
      const own = await createDevice(h, t);
      const shared1 = await createDevice(h, t, { useSharedSecret: true });
      const shared2 = await createDevice(h, t, { useSharedSecret: true });
      const oldShared = await sharedSecret(h, t);
      const r = await reset(t, { confirm: CONFIRM, resetAllDevices: false });
      expect(r.body.devicesReset).toBe(0);
      for (const d of [shared1, shared2]) {
        expect(await checkCode(h, d.id, oldShared)).toBe('INVALID_SIGNATURE');
        expect(await checkCode(h, d.id, r.body.secret)).toBe('VALID');
      }
      expect(await checkCode(h, own.id, own.secret as string)).toBe('VALID');
      expect(await checkCode(h, own.id, r.body.secret)).toBe('INVALID_SIGNATURE');
      const got = await h.call('GET', `/v1/accounts/${t.accountId}/devices/${own.id}`, { token: t.adminToken });
      expect(got.body.secretSource).toBe('own');
      const sharedGot = await h.call('GET', `/v1/accounts/${t.accountId}/devices/${shared1.id}`, { token: t.adminToken });
      expect(sharedGot.body.secretUpdatedAt).toBe(r.body.updatedAt);
    });

    it('devices on the shared secret follow every reset', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t, { useSharedSecret: true });
      for (let i = 0; i < 3; i++) {
        const r = await reset(t, { confirm: CONFIRM, resetAllDevices: false });
        expect(await checkCode(h, d.id, r.body.secret)).toBe('VALID');
      }
    });

    it('with resetAllDevices: every device uses the new shared secret; own secrets stop working', async () => {
      const t = await h.tenant();
      const own1 = await createDevice(h, t);
      const own2 = await createDevice(h, t);
      const shared = await createDevice(h, t, { useSharedSecret: true });
      const r = await reset(t, { confirm: CONFIRM, resetAllDevices: true });
      expect(r.body.devicesReset).toBe(2);
      for (const d of [own1, own2, shared]) expect(await checkCode(h, d.id, r.body.secret)).toBe('VALID');
      for (const d of [own1, own2]) expect(await checkCode(h, d.id, d.secret as string)).toBe('INVALID_SIGNATURE');
      const list = await h.call('GET', `/v1/accounts/${t.accountId}/devices`, { token: t.adminToken });
      expect(list.body.devices.map((d: { secretSource: string }) => d.secretSource)).toEqual(['shared', 'shared', 'shared']);
      // Devices created afterwards still get their own secret unless they ask for the shared one.
      const later = await createDevice(h, t);
      expect(later.device.secretSource).toBe('own');
    });

    it('only admins and the operator may view or reset it (403), not even with devices.manage or a key', async () => {
      const t = await h.tenant();
      const manager = await h.user(t, { permissions: ['devices.manage', 'devices.view'] });
      const view = await h.call('GET', `/v1/accounts/${t.accountId}/shared-secret`, { token: manager.token });
      expect(view.status).toBe(403);
      expect(view.body.error.code).toBe('FORBIDDEN');
      expect((await reset(t, { confirm: CONFIRM, resetAllDevices: true }, manager.token)).status).toBe(403);
      const app = await h.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'a' } });
      const key = await h.call('POST', `/v1/accounts/${t.accountId}/applications/${app.body.id}/keys`, {
        token: t.adminToken,
        body: { name: 'k', scopes: ['keyward:devices.manage'] },
      });
      expect((await h.call('GET', `/v1/accounts/${t.accountId}/shared-secret`, { token: key.body.key })).status).toBe(403);
      const audit = await h.call('GET', `/v1/accounts/${t.accountId}/audit`, { token: t.adminToken });
      expect(audit.body.events.filter((e: { action: string }) => e.action.startsWith('shared_secret.'))).toEqual([]);
    });

    it("another account's admin cannot see or reset it (404)", async () => {
      const a = await h.tenant();
      const b = await h.tenant();
      const before = await sharedSecret(h, a);
      const view = await h.call('GET', `/v1/accounts/${a.accountId}/shared-secret`, { token: b.adminToken });
      expect(view.status).toBe(404);
      expect((await reset(a, { confirm: CONFIRM, resetAllDevices: true }, b.adminToken)).status).toBe(404);
      expect(await sharedSecret(h, a)).toBe(before);
    });
  });
}
