import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keyward } from '../../src/server.js';
import { closeTwoNodes, DIALECTS, type Harness, REDIS_URL, startTwoNodes } from '../harness.js';
import { createDevice, signedCheck } from '../signing.js';

/**
 * Issue #10 item 16: the replay guard was per node, so a signed request accepted on node A
 * was accepted again on node B. With Redis configured every node shares it.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled || !REDIS_URL)(`replay guard shared over Redis [${dialect.name}]`, () => {
    let h: Harness;
    let other: Keyward;
    beforeAll(async () => {
      ({ h, other } = await startTwoNodes(dialect, { redisUrl: REDIS_URL }));
    });
    afterAll(async () => closeTwoNodes({ h, other }));

    const onA = async (body: unknown) => (await h.call('POST', '/v1/signatures/verify', { body })).body.code as string;
    const onB = async (body: unknown) =>
      (await other.app.inject({ method: 'POST', url: '/v1/signatures/verify', payload: body as object })).json().code;
    const authorizeOn = async (kw: Keyward, check: ReturnType<typeof signedCheck>) =>
      kw.app.inject({
        method: 'POST',
        url: '/v1/authorize',
        headers: {
          authorization: check.authorization,
          'x-bcot-timestamp': check.timestamp,
          'x-original-host': check.host,
          'x-original-method': check.method,
          'x-original-uri': check.path,
          'x-content-sha256': check.bodyHash,
        },
      });

    it('a signature accepted on node A answers REPLAYED on node B, and the other way round', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const first = signedCheck(d.id, d.secret as string);
      expect(await onA(first)).toBe('VALID');
      expect(await onB(first)).toBe('REPLAYED');
      expect(await onA(first)).toBe('REPLAYED');
      const second = signedCheck(d.id, d.secret as string);
      expect(await onB(second)).toBe('VALID');
      expect(await onA(second)).toBe('REPLAYED');
    });

    it('the gateway endpoint shares it too: authorized on A, 401 REPLAYED on B', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const check = signedCheck(d.id, d.secret as string, { method: 'GET', path: `/integration/device/status?n=${Date.now()}` });
      const a = await authorizeOn(h.kw, check);
      const b = await authorizeOn(other, check);
      expect(a.statusCode).toBe(200);
      expect(b.statusCode).toBe(401);
      expect(b.headers['x-keyward-error']).toBe('REPLAYED');
    });
  });
}
