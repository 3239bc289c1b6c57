import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyward, type Keyward } from '../../src/server.js';
import { appWithKey, createHarness, DIALECTS, type Harness, REDIS_URL } from '../harness.js';

/** Polls until `fn` returns `want`: delivery between nodes is asynchronous (pub/sub), bounded at 5 s. */
async function eventually<T>(fn: () => Promise<T>, want: T): Promise<T> {
  let last = await fn();
  for (let i = 0; i < 100 && last !== want; i++) {
    await new Promise((r) => setTimeout(r, 50));
    last = await fn();
  }
  return last;
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled || !REDIS_URL)(`cache invalidation across nodes over Redis [${dialect.name}]`, () => {
    let h: Harness;
    let other: Keyward;
    beforeAll(async () => {
      h = await createHarness(dialect, { redisUrl: REDIS_URL });
      // A second node on the same database, with its own cache.
      other = await createKeyward({ ...h.config });
    });
    afterAll(async () => {
      await other?.close();
      await h?.close();
    });

    const verifyOn = async (kw: Keyward, key: string) =>
      (await kw.app.inject({ method: 'POST', url: '/v1/keys/verify', payload: { key } })).json().code as string;

    it('a revoke on one node reaches the cache of the other', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken);
      expect(await verifyOn(other, k.key)).toBe('VALID');
      expect(await verifyOn(other, k.key)).toBe('VALID'); // now cached on the other node
      await h.call('POST', `/v1/accounts/${t.accountId}/keys/${k.keyId}/revoke`, { token: t.adminToken });
      expect(await eventually(() => verifyOn(other, k.key), 'REVOKED')).toBe('REVOKED');
    });

    it('an application revoke on one node reaches the cache of the other', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken);
      expect(await verifyOn(other, k.key)).toBe('VALID');
      await h.call('POST', `/v1/accounts/${t.accountId}/applications/${k.applicationId}/revoke`, { token: t.adminToken });
      expect(await eventually(() => verifyOn(other, k.key), 'DISABLED')).toBe('DISABLED');
    });
  });
}
