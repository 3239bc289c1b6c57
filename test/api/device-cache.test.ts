import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, DIALECTS, type Harness } from '../harness.js';
import { checkCode, createDevice } from '../signing.js';

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`device signing cache [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());

    const loads = () => h.kw.ctx.deviceCache?.stats().loads ?? Number.NaN;

    it('a device already seen costs no store read; a reset takes effect before the call returns', async () => {
      const t = await h.tenant();
      const dev = await createDevice(h, t);
      expect(await checkCode(h, dev.id, dev.secret as string)).toBe('VALID');
      const before = loads();
      for (let i = 0; i < 5; i++) expect(await checkCode(h, dev.id, dev.secret as string)).toBe('VALID');
      expect(loads()).toBe(before);

      const reset = await h.call('POST', `/v1/accounts/${t.accountId}/devices/${dev.id}/reset-secret`, {
        token: t.adminToken,
        body: { useSharedSecret: false },
      });
      expect(await checkCode(h, dev.id, dev.secret as string)).toBe('INVALID_SIGNATURE');
      expect(await checkCode(h, dev.id, reset.body.secret)).toBe('VALID');
    });

    it('a shared-secret reset moves cached shared-secret devices at once; disabling is immediate too', async () => {
      const t = await h.tenant();
      const dev = await createDevice(h, t, { useSharedSecret: true });
      const shared = (await h.call('GET', `/v1/accounts/${t.accountId}/shared-secret`, { token: t.adminToken })).body.secret;
      expect(await checkCode(h, dev.id, shared)).toBe('VALID');
      const reset = await h.call('POST', `/v1/accounts/${t.accountId}/shared-secret/reset`, {
        token: t.adminToken,
        body: { confirm: 'Yes, I do confirm it', resetAllDevices: false },
      });
      expect(await checkCode(h, dev.id, shared)).toBe('INVALID_SIGNATURE');
      expect(await checkCode(h, dev.id, reset.body.secret)).toBe('VALID');
      await h.call('PATCH', `/v1/accounts/${t.accountId}/devices/${dev.id}`, { token: t.adminToken, body: { status: 'disabled' } });
      expect(await checkCode(h, dev.id, reset.body.secret)).toBe('DEVICE_DISABLED');
    });

    describe('derived signing keys', () => {
      /** Counts the sealed secrets opened (AES-GCM), by wrapping the runtime's SecretBox. */
      function countOpens() {
        const secrets = h.kw.ctx.secrets;
        const open = secrets.open.bind(secrets);
        const counter = { opens: 0 };
        secrets.open = (sealed: string, aad: string) => {
          counter.opens++;
          return open(sealed, aad);
        };
        return { counter, restore: () => Object.assign(secrets, { open }) };
      }
      const keys = () => h.kw.ctx.deviceCache?.signingKeys;
      const path = (t: { accountId: string }, id: string) => `/v1/accounts/${t.accountId}/devices/${id}`;
      /** The kept key for the device's current sealed secret and today's signDate, if any. */
      async function cachedKey(deviceId: string) {
        const record = await h.kw.ctx.deviceLookup(deviceId);
        if (!record?.sealedSecret) return undefined;
        const { device } = record;
        const src = { deviceId, accountId: device.accountId, secretSource: device.secretSource, sealed: record.sealedSecret };
        return keys()?.get(src, new Date().toISOString().slice(0, 10).replaceAll('-', ''), Date.now());
      }

      it('opens a device’s sealed secret once per signDate, then signs with the kept key', async () => {
        const t = await h.tenant();
        const dev = await createDevice(h, t);
        const { counter, restore } = countOpens();
        try {
          for (let i = 0; i < 5; i++) expect(await checkCode(h, dev.id, dev.secret as string)).toBe('VALID');
          expect(counter.opens).toBe(1);
          // Another signDate (a client may reuse one for 7 days) is another key: one more open.
          const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
          expect(await checkCode(h, dev.id, dev.secret as string, { signDate: yesterday })).toBe('VALID');
          expect(await checkCode(h, dev.id, dev.secret as string, { signDate: yesterday })).toBe('VALID');
          expect(counter.opens).toBe(2);
          // A wrong signature is still refused with the key cached, and an unknown device answers the same.
          expect(await checkCode(h, dev.id, 'f'.repeat(128))).toBe('INVALID_SIGNATURE');
          expect(await checkCode(h, 'A'.repeat(20), dev.secret as string)).toBe('INVALID_SIGNATURE');
          expect(counter.opens).toBe(2);
        } finally {
          restore();
        }
      });

      it('a secret reset fails the old secret the moment it returns, though its day key was cached', async () => {
        const t = await h.tenant();
        const dev = await createDevice(h, t);
        expect(await checkCode(h, dev.id, dev.secret as string)).toBe('VALID');
        expect(await cachedKey(dev.id)).toBeDefined();
        const held = keys()?.stats().size ?? 0;
        const reset = await h.call('POST', `${path(t, dev.id)}/reset-secret`, { token: t.adminToken, body: { useSharedSecret: false } });
        expect(reset.status).toBe(200);
        // Dropped by the reset itself (not merely unmatched by the new sealed secret).
        expect(keys()?.stats().size).toBe(held - 1);
        expect(await cachedKey(dev.id)).toBeUndefined();
        expect(await checkCode(h, dev.id, dev.secret as string)).toBe('INVALID_SIGNATURE');
        expect(await checkCode(h, dev.id, reset.body.secret)).toBe('VALID');
        // Switched to the shared secret: its own (new) secret fails at once, the shared one signs.
        const shared = (await h.call('GET', `/v1/accounts/${t.accountId}/shared-secret`, { token: t.adminToken })).body.secret;
        await h.call('POST', `${path(t, dev.id)}/reset-secret`, { token: t.adminToken, body: { useSharedSecret: true } });
        expect(await checkCode(h, dev.id, reset.body.secret)).toBe('INVALID_SIGNATURE');
        expect(await checkCode(h, dev.id, shared)).toBe('VALID');
      });

      it('disable, delete and a shared-secret reset of all devices take effect at once with keys cached', async () => {
        const t = await h.tenant();
        const own = await createDevice(h, t);
        const viaShared = await createDevice(h, t, { useSharedSecret: true });
        const shared = (await h.call('GET', `/v1/accounts/${t.accountId}/shared-secret`, { token: t.adminToken })).body.secret;
        expect(await checkCode(h, own.id, own.secret as string)).toBe('VALID');
        expect(await checkCode(h, viaShared.id, shared)).toBe('VALID');

        await h.call('PATCH', path(t, own.id), { token: t.adminToken, body: { status: 'disabled' } });
        expect(await checkCode(h, own.id, own.secret as string)).toBe('DEVICE_DISABLED');
        await h.call('PATCH', path(t, own.id), { token: t.adminToken, body: { status: 'active' } });
        expect(await checkCode(h, own.id, own.secret as string)).toBe('VALID');

        const reset = await h.call('POST', `/v1/accounts/${t.accountId}/shared-secret/reset`, {
          token: t.adminToken,
          body: { confirm: 'Yes, I do confirm it', resetAllDevices: true },
        });
        expect(reset.status).toBe(200);
        // Every device of the account now signs with the new shared secret only.
        expect(await checkCode(h, own.id, own.secret as string)).toBe('INVALID_SIGNATURE');
        expect(await checkCode(h, viaShared.id, shared)).toBe('INVALID_SIGNATURE');
        expect(await checkCode(h, own.id, reset.body.secret)).toBe('VALID');
        expect(await checkCode(h, viaShared.id, reset.body.secret)).toBe('VALID');

        const deleted = await h.call('DELETE', path(t, own.id), { token: t.adminToken });
        expect(deleted.status).toBeLessThan(300);
        expect(await checkCode(h, own.id, reset.body.secret)).toBe('INVALID_SIGNATURE');
        expect(await checkCode(h, viaShared.id, reset.body.secret)).toBe('VALID');
      });
    });
  });
}
