import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keyward } from '../../src/server.js';
import { closeTwoNodes, createHarness, DIALECTS, type Harness, REDIS_URL, startTwoNodes } from '../harness.js';

/**
 * Issue 10, item 7: five wrong passwords used to lock the right one out for 15 minutes for
 * everyone, the operator included, and each node counted on its own.
 */

const ATTACKER = '203.0.113.9';
const OWNER = '198.51.100.7';

async function signIn(kw: Keyward, email: string, password: string, from: string, forwardedFor?: string) {
  const res = await kw.app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email, password },
    remoteAddress: from,
    ...(forwardedFor !== undefined && { headers: { 'x-forwarded-for': forwardedFor } }),
  });
  return { status: res.statusCode, body: res.json(), retryAfter: res.headers['retry-after'] };
}

/** Pins a node's clock (sessions, throttle) so waits are exact; `advance` moves it. */
function pinClock(...nodes: Keyward[]) {
  let now = Date.now();
  for (const kw of nodes) kw.ctx.now = () => now;
  return { advance: (ms: number) => (now += ms) };
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`sign-in throttle [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());

    it("slows the guesser's address while the owner signs in from their own", async () => {
      const t = await h.tenant();
      pinClock(h.kw);
      for (let i = 0; i < 5; i++) expect((await signIn(h.kw, t.adminEmail, 'wrong-password', ATTACKER)).status).toBe(401);
      const slowed = await signIn(h.kw, t.adminEmail, 'admin-password-1', ATTACKER);
      expect(slowed.status).toBe(429);
      expect(slowed.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: 1 } });
      expect(slowed.retryAfter).toBe('1');
      const owner = await signIn(h.kw, t.adminEmail, 'admin-password-1', OWNER);
      expect(owner.status).toBe(200);
      expect(owner.body.token).toMatch(/^kws_/);
    });

    it('the wait doubles with every further failure from that address, and a success resets it', async () => {
      const t = await h.tenant();
      const clock = pinClock(h.kw);
      for (let i = 0; i < 5; i++) await signIn(h.kw, t.adminEmail, 'wrong-password', ATTACKER);
      const waits: string[] = [];
      for (let i = 0; i < 4; i++) {
        const refused = await signIn(h.kw, t.adminEmail, 'wrong-password', ATTACKER);
        expect(refused.status).toBe(429);
        waits.push(refused.retryAfter as string);
        clock.advance(Number(refused.retryAfter) * 1000);
        expect((await signIn(h.kw, t.adminEmail, 'wrong-password', ATTACKER)).status).toBe(401);
      }
      expect(waits).toEqual(['1', '2', '4', '8']);
      clock.advance(16_000);
      expect((await signIn(h.kw, t.adminEmail, 'admin-password-1', ATTACKER)).status).toBe(200);
      expect((await signIn(h.kw, t.adminEmail, 'wrong-password', ATTACKER)).status).toBe(401);
    });
  });

  describe.skipIf(!dialect.enabled)(`sign-in throttle behind a reverse proxy [${dialect.name}]`, () => {
    const PROXY = '127.0.0.1';
    let plain: Harness;
    let proxied: Harness;
    beforeAll(async () => {
      plain = await createHarness(dialect);
      proxied = await createHarness(dialect, { trustProxy: [PROXY] });
    });
    afterAll(async () => {
      await plain?.close();
      await proxied?.close();
    });

    it('without KEYWARD_TRUST_PROXY a client cannot escape the throttle by sending X-Forwarded-For', async () => {
      const t = await plain.tenant();
      pinClock(plain.kw);
      for (let i = 0; i < 5; i++) {
        expect((await signIn(plain.kw, t.adminEmail, 'wrong-password', ATTACKER, `192.0.2.${i}`)).status).toBe(401);
      }
      expect((await signIn(plain.kw, t.adminEmail, 'wrong-password', ATTACKER, '192.0.2.99')).status).toBe(429);
    });

    it('with the proxy trusted, clients behind it are throttled by their own address, not the proxy’s', async () => {
      const t = await proxied.tenant();
      pinClock(proxied.kw);
      for (let i = 0; i < 5; i++) expect((await signIn(proxied.kw, t.adminEmail, 'wrong-password', PROXY, ATTACKER)).status).toBe(401);
      expect((await signIn(proxied.kw, t.adminEmail, 'admin-password-1', PROXY, ATTACKER)).status).toBe(429);
      // The owner comes through the same proxy from another address and is not slowed.
      expect((await signIn(proxied.kw, t.adminEmail, 'admin-password-1', PROXY, OWNER)).status).toBe(200);
      // A peer that is not the trusted proxy cannot set its address.
      expect((await signIn(proxied.kw, t.adminEmail, 'wrong-password', ATTACKER, OWNER)).status).toBe(429);
    });
  });

  describe.skipIf(!dialect.enabled || !REDIS_URL)(`sign-in throttle shared over Redis [${dialect.name}]`, () => {
    let h: Harness;
    let other: Keyward;
    beforeAll(async () => {
      ({ h, other } = await startTwoNodes(dialect, { redisUrl: REDIS_URL }));
    });
    afterAll(async () => closeTwoNodes({ h, other }));

    it("failures counted on one node slow the guesser's address on the other; the owner still signs in there", async () => {
      const t = await h.tenant();
      pinClock(h.kw, other);
      for (let i = 0; i < 5; i++) expect((await signIn(h.kw, t.adminEmail, 'wrong-password', ATTACKER)).status).toBe(401);
      const slowed = await signIn(other, t.adminEmail, 'admin-password-1', ATTACKER);
      expect([slowed.status, slowed.retryAfter]).toEqual([429, '1']);
      expect((await signIn(other, t.adminEmail, 'admin-password-1', OWNER)).status).toBe(200);
    });
  });
}
