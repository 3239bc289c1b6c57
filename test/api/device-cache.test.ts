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
  });
}
