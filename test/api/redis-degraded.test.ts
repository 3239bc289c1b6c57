import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyward, type Keyward } from '../../src/server.js';
import { appWithKey, createHarness, DIALECTS, type Harness, REDIS_URL } from '../harness.js';
import { createDevice, signedCheck } from '../signing.js';
import { TcpProxy } from '../tcp-proxy.js';

/** Polls `fn` every 50 ms until `ok` holds, for at most `ms`; returns the last value. */
async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  let last = await fn();
  while (!ok(last) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    last = await fn();
  }
  return last;
}

/**
 * Issue #10 item 14: a node whose KEYWARD_REDIS_URL points at a Redis that is down starts
 * anyway, says so, serves (caches bounded by their TTL, replays refused on this node), and
 * picks the relay up when Redis becomes reachable, without a restart. Redis sits behind a
 * proxy that resets every connection until the test opens it.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled || !REDIS_URL)(`Redis down at start [${dialect.name}]`, () => {
    let h: Harness;
    let proxy: TcpProxy;
    let degraded: Keyward;
    let startMs: number;
    const logs: { level: number; msg: string }[] = [];
    beforeAll(async () => {
      const target = new URL(REDIS_URL as string);
      proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) }, 'reset');
      // Node A: Redis reachable directly.
      h = await createHarness(dialect, { redisUrl: REDIS_URL });
      const started = Date.now();
      // Node B: same database, Redis only through the (closed) proxy.
      degraded = await createKeyward(
        { ...h.config, redisUrl: `redis://127.0.0.1:${proxy.port}` },
        {
          logger: {
            level: 'info',
            stream: {
              write: (line: string) => {
                const { level, msg } = JSON.parse(line) as { level: number; msg: string };
                logs.push({ level, msg });
              },
            },
          },
        },
      );
      startMs = Date.now() - started;
    });
    afterAll(async () => {
      await degraded?.close();
      await h?.close();
      await proxy?.close();
    });

    const onB = async (url: string, body: unknown) => (await degraded.app.inject({ method: 'POST', url, payload: body as object })).json();
    const warned = (text: string) => logs.some((l) => l.level === 40 && l.msg.includes(text));

    it('starts within the bound, warns, and serves: keys verify, signatures verify and replays to it are refused', async () => {
      expect(startMs).toBeLessThan(3000);
      expect(degraded.relay?.listening).toBe(false);
      expect(degraded.redis?.ready).toBe(false);
      expect(warned('cache invalidation relay down')).toBe(true);
      expect(
        await until(
          () => warned('Redis unavailable'),
          (v) => v,
          5000,
        ),
      ).toBe(true);
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken);
      expect((await onB('/v1/keys/verify', { key: k.key })).code).toBe('VALID');
      const d = await createDevice(h, t);
      const check = signedCheck(d.id, d.secret as string);
      expect((await onB('/v1/signatures/verify', check)).code).toBe('VALID');
      expect((await onB('/v1/signatures/verify', check)).code).toBe('REPLAYED');
      expect(warned('replay guard: Redis unavailable')).toBe(true);
    });

    it('when Redis becomes reachable the relay subscribes and carries the other node’s changes; replays are shared again', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken);
      expect((await onB('/v1/keys/verify', { key: k.key })).code).toBe('VALID'); // cached on B for 30 s
      proxy.reopen();
      expect(
        await until(
          () => degraded.relay?.listening === true && degraded.redis?.ready === true,
          (v) => v,
        ),
      ).toBe(true);
      expect(logs.some((l) => l.msg.includes('cache invalidation relay subscribed again'))).toBe(true);
      await h.call('POST', `/v1/accounts/${t.accountId}/keys/${k.keyId}/revoke`, { token: t.adminToken });
      // Within the TTL only the relay can tell B.
      expect(
        await until(
          async () => (await onB('/v1/keys/verify', { key: k.key })).code,
          (c) => c === 'REVOKED',
          5000,
        ),
      ).toBe('REVOKED');
      const d = await createDevice(h, t);
      const check = signedCheck(d.id, d.secret as string);
      expect((await h.call('POST', '/v1/signatures/verify', { body: check })).body.code).toBe('VALID');
      expect((await onB('/v1/signatures/verify', check)).code).toBe('REPLAYED');
    });
  });
}
