import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { webhookConfigFrom } from '../../src/config.js';
import { WEBHOOK_EVENT_TYPES } from '../../src/core/webhook-events.js';
import { createKeyward } from '../../src/server.js';
import { scanKeyExpiry } from '../../src/service/key-expiry.js';
import { appWithKey, createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';
import { createDevice, signedCheck } from '../signing.js';
import { type Receiver, startReceiver } from '../webhook-receiver.js';

/** Issue 14: webhooks, delivered to a real receiver that verifies them with the `standardwebhooks` library. */
const FAST = webhookConfigFrom({
  KEYWARD_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1',
  KEYWARD_WEBHOOK_POLL_MS: '20',
  KEYWARD_WEBHOOK_RETRY_BASE_MS: '100',
  KEYWARD_WEBHOOK_DISABLE_AFTER: '3',
  KEYWARD_WEBHOOK_SCAN_MS: '3600000',
});

/** Every type a plain change emits (the two limit events need limited keys: their own test). */
const ALL_EMITTED = WEBHOOK_EVENT_TYPES.filter((t) => t !== 'usage.threshold' && t !== 'ratelimit.exceeded');

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`webhooks [${dialect.name}]`, () => {
    let h: Harness;
    let rx: Receiver;
    let t: Tenant;

    beforeAll(async () => {
      h = await createHarness(dialect, { webhooks: FAST });
    });
    afterAll(async () => h?.close());
    afterEach(async () => rx?.close());

    async function endpoint(types: readonly string[] = ALL_EMITTED, tenant: Tenant = t, url?: string) {
      const res = await h.call('POST', `/v1/accounts/${tenant.accountId}/webhooks`, {
        token: tenant.adminToken,
        body: { url: url ?? rx.url, eventTypes: types },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.secret).toMatch(/^whsec_/);
      rx.setSecret(res.body.secret);
      return { id: res.body.endpoint.id as string, secret: res.body.secret as string };
    }

    it('every lifecycle change sends its event, signed so the reference library verifies it, with no secret in the body', async () => {
      rx = await startReceiver();
      t = await h.tenant();
      const ep = await endpoint();
      const secrets: string[] = [ep.secret];
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      secrets.push(k.key);
      const rotated = await h.call('POST', `/v1/accounts/${t.accountId}/keys/${k.keyId}/rotate`, {
        token: t.adminToken,
        body: { overlapSeconds: 60 },
      });
      expect(rotated.status).toBe(201);
      secrets.push(rotated.body.key);
      expect(
        (await h.call('POST', `/v1/accounts/${t.accountId}/keys/${rotated.body.accessKey.id}/revoke`, { token: t.adminToken })).status,
      ).toBe(200);
      expect(
        (await h.call('POST', `/v1/accounts/${t.accountId}/applications/${k.applicationId}/revoke`, { token: t.adminToken })).status,
      ).toBe(200);
      const device = await h.call('POST', `/v1/accounts/${t.accountId}/devices`, { token: t.adminToken, body: { name: 'Meter' } });
      secrets.push(device.body.secret);
      const reset = await h.call('POST', `/v1/accounts/${t.accountId}/devices/${device.body.device.id}/reset-secret`, {
        token: t.adminToken,
        body: { useSharedSecret: false },
      });
      secrets.push(reset.body.secret);
      const shared = await h.call('POST', `/v1/accounts/${t.accountId}/shared-secret/reset`, {
        token: t.adminToken,
        body: { confirm: 'Yes, I do confirm it', resetAllDevices: false },
      });
      expect(shared.status).toBe(200);
      secrets.push(shared.body.secret);
      const user = await h.user(t, {});
      expect((await h.call('DELETE', `/v1/accounts/${t.accountId}/users/${user.id}`, { token: t.adminToken })).status).toBe(200);
      const test = await h.call('POST', `/v1/accounts/${t.accountId}/webhooks/${ep.id}/test`, { token: t.adminToken });
      expect(test.status).toBe(202);

      const want = [
        'key.created',
        'key.rotated',
        'key.revoked',
        'application.revoked',
        'device.secret_reset',
        'shared_secret.reset',
        'user.deleted',
        'webhook.test',
      ];
      await rx.waitFor((list) => want.every((type) => list.some((r) => r.verified?.type === type)));
      for (const r of rx.received) {
        expect(r.verified, `signature of ${r.body}`).toBeDefined();
        expect(r.id).toMatch(/^msg_/);
        for (const s of secrets) expect(r.body).not.toContain(s);
        expect(r.body).not.toContain(user.email);
      }
      const byType = (type: string) => rx.received.find((r) => r.verified?.type === type)?.verified?.data;
      expect(byType('key.created')?.key).toMatchObject({ id: k.keyId, start: k.key.slice(0, 9), status: 'active' });
      expect(byType('key.rotated')).toMatchObject({
        previous: { id: k.keyId },
        key: { id: rotated.body.accessKey.id },
        overlapSeconds: 60,
      });
      expect(byType('key.revoked')).toMatchObject({ key: { id: rotated.body.accessKey.id, status: 'revoked' }, reason: 'revoked' });
      expect(byType('application.revoked')?.application.id).toBe(k.applicationId);
      expect(byType('user.deleted')?.user.id).toBe(user.id);
      expect(test.body.eventId).toBe(rx.received.find((r) => r.verified?.type === 'webhook.test')?.id);

      // The delivery log says the same.
      const log = async () =>
        (await h.call('GET', `/v1/accounts/${t.accountId}/webhooks/${ep.id}/deliveries`, { token: t.adminToken })).body;
      await expect.poll(async () => (await log()).deliveries.filter((d: any) => d.status === 'delivered').length).toBe(rx.received.length);
      const { deliveries } = await log();
      expect(deliveries.length).toBe(rx.received.length);
      expect(deliveries.every((d: any) => d.lastStatusCode === 200 && d.attempts === 1 && d.lastError === null)).toBe(true);
    });

    it('limit decisions: ratelimit.exceeded once per key and window however many refusals, usage.threshold at 80 % and 100 % once each', async () => {
      rx = await startReceiver();
      t = await h.tenant();
      await endpoint(['ratelimit.exceeded', 'usage.threshold']);
      const app = await h.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'Limited' } });
      const create = async (body: Record<string, unknown>) => {
        const res = await h.call('POST', `/v1/accounts/${t.accountId}/applications/${app.body.id}/keys`, {
          token: t.adminToken,
          body: { name: 'L', scopes: [], ...body },
        });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        return { key: res.body.key as string, id: res.body.accessKey.id as string };
      };
      const verify = async (key: string) => (await h.call('POST', '/v1/keys/verify', { body: { key } })).body.code as string;
      const limited = await create({ ratelimits: [{ name: 'default', limit: 2, window: 'hour' }] });
      const codes: string[] = [];
      for (let i = 0; i < 12; i++) codes.push(await verify(limited.key));
      expect(codes.filter((c) => c === 'VALID')).toHaveLength(2);
      const credits = await create({ quota: { credits: 5 } });
      const spent: string[] = [];
      for (let i = 0; i < 7; i++) spent.push(await verify(credits.key));
      expect(spent).toEqual(['VALID', 'VALID', 'VALID', 'VALID', 'VALID', 'USAGE_EXCEEDED', 'USAGE_EXCEEDED']);

      const of = (type: string) => rx.received.filter((r) => r.verified?.type === type).map((r) => r.verified?.data);
      await rx.waitFor(() => of('ratelimit.exceeded').length >= 1 && of('usage.threshold').length >= 2);
      // More refusals in the same window send nothing more.
      for (let i = 0; i < 5; i++) expect(await verify(limited.key)).toBe('RATE_LIMITED');
      // A duplicate would be emitted as fast as the first was: give it the time the first took, twice over.
      await new Promise((r) => setTimeout(r, 300));
      expect(of('ratelimit.exceeded')).toHaveLength(1);
      expect(of('ratelimit.exceeded')[0]).toMatchObject({
        key: { id: limited.id },
        device: null,
        accountId: t.accountId,
        limit: 2,
        windowSeconds: 3600,
      });
      const thresholds = of('usage.threshold');
      expect(thresholds.map((d: any) => d.percent).sort((a: number, b: number) => a - b)).toEqual([80, 100]);
      expect(thresholds.find((d: any) => d.percent === 80)).toMatchObject({ key: { id: credits.id }, quota: 'key', used: 4, limit: 5 });
      expect(thresholds.find((d: any) => d.percent === 100)).toMatchObject({ used: 5, limit: 5 });
    });

    it("signed device requests: ratelimit.exceeded once per account, limit and window for all its devices, naming the device; usage.threshold at 80 % and 100 % of the account's quota", async () => {
      rx = await startReceiver();
      t = await h.tenant();
      await endpoint(['ratelimit.exceeded', 'usage.threshold']);
      const a = await createDevice(h, t, { name: 'Gate A' });
      const b = await createDevice(h, t, { name: 'Gate B' });
      const verify = async (d: { id: string; secret: string | null }) =>
        (await h.call('POST', '/v1/signatures/verify', { body: signedCheck(d.id, d.secret as string) })).body.code as string;
      const limit = await h.call('PATCH', `/v1/accounts/${t.accountId}`, {
        token: h.operatorToken,
        body: { ratelimits: [{ name: 'devices', limit: 2, window: 'hour' }] },
      });
      expect(limit.status).toBe(200);
      const codes: string[] = [];
      for (let i = 0; i < 4; i++) codes.push(await verify(a));
      expect(codes).toEqual(['VALID', 'VALID', 'RATE_LIMITED', 'RATE_LIMITED']);
      const of = (type: string) => rx.received.filter((r) => r.verified?.type === type).map((r) => r.verified?.data);
      await rx.waitFor(() => of('ratelimit.exceeded').length >= 1);
      // Another device of the account refused by the same limit in the same window: nothing more.
      for (let i = 0; i < 3; i++) expect(await verify(b)).toBe('RATE_LIMITED');
      await new Promise((r) => setTimeout(r, 300));
      expect(of('ratelimit.exceeded')).toEqual([
        {
          key: null,
          device: { id: a.id, name: 'Gate A' },
          accountId: t.accountId,
          limit: 2,
          windowSeconds: 3600,
          windowStart: expect.any(Number),
        },
      ]);

      const quota = await h.call('PATCH', `/v1/accounts/${t.accountId}`, {
        token: h.operatorToken,
        body: { ratelimits: [], quota: { credits: 5 } },
      });
      expect(quota.status).toBe(200);
      const spent: string[] = [];
      for (let i = 0; i < 7; i++) spent.push(await verify(b));
      expect(spent).toEqual(['VALID', 'VALID', 'VALID', 'VALID', 'VALID', 'USAGE_EXCEEDED', 'USAGE_EXCEEDED']);
      await rx.waitFor(() => of('usage.threshold').length >= 2);
      await new Promise((r) => setTimeout(r, 300));
      const thresholds = of('usage.threshold');
      expect(thresholds.map((d: any) => d.percent).sort((x: number, y: number) => x - y)).toEqual([80, 100]);
      expect(thresholds.find((d: any) => d.percent === 80)).toEqual({
        key: null,
        device: { id: b.id, name: 'Gate B' },
        accountId: t.accountId,
        quota: 'account',
        percent: 80,
        used: 4,
        limit: 5,
      });
      expect(thresholds.find((d: any) => d.percent === 100)).toMatchObject({ device: { id: b.id }, used: 5, limit: 5 });
    });

    it('only subscribed types, only its own account; the operator endpoint gets every account', async () => {
      rx = await startReceiver();
      t = await h.tenant();
      const other = await h.tenant();
      await endpoint(['key.created']);
      const op = await h.call('POST', '/v1/webhooks', { token: h.operatorToken, body: { url: rx.url, eventTypes: ['key.revoked'] } });
      expect(op.status).toBe(201);
      const opSecret = op.body.secret as string;
      const mine = await appWithKey(h, t, t.adminToken);
      const theirs = await appWithKey(h, other, other.adminToken);
      await h.call('POST', `/v1/accounts/${other.accountId}/keys/${theirs.keyId}/revoke`, { token: other.adminToken });
      await rx.waitFor((list) => list.length >= 2);
      const types = rx.received.map((r) => JSON.parse(r.body)).map((b) => `${b.type}:${b.data.key.id}`);
      expect(types.sort()).toEqual([`key.created:${mine.keyId}`, `key.revoked:${theirs.keyId}`].sort());
      // Each signed with its own endpoint's secret.
      const opDelivery = rx.received.find((r) => r.body.includes('key.revoked'));
      expect(opDelivery?.verified).toBeUndefined(); // not the account endpoint's secret
      rx.setSecret(opSecret);
      const { Webhook } = await import('standardwebhooks');
      expect(() =>
        new Webhook(opSecret).verify(opDelivery?.body ?? '', {
          'webhook-id': opDelivery?.id ?? '',
          'webhook-timestamp': String(opDelivery?.timestamp),
          'webhook-signature': '',
        }),
      ).toThrow();
      await h.call('DELETE', `/v1/webhooks/${op.body.endpoint.id}`, { token: h.operatorToken });
    });

    it('retries with exponential backoff after a 500, then delivers; the same webhook-id every time', async () => {
      rx = await startReceiver();
      t = await h.tenant();
      rx.answer((_r, n) => (n <= 2 ? 500 : 200));
      const ep = await endpoint(['key.created']);
      await appWithKey(h, t, t.adminToken);
      await rx.waitFor((list) => list.length >= 3);
      const [a, b, c] = rx.received as [any, any, any];
      expect(new Set([a.id, b.id, c.id]).size).toBe(1);
      expect(a.body).toBe(c.body);
      // base 100 ms ±20 %, then doubled.
      expect(b.at - a.at).toBeGreaterThanOrEqual(75);
      expect(c.at - b.at).toBeGreaterThanOrEqual(155);
      const log = await h.call('GET', `/v1/accounts/${t.accountId}/webhooks/${ep.id}/deliveries`, { token: t.adminToken });
      await expect
        .poll(
          async () =>
            (await h.call('GET', `/v1/accounts/${t.accountId}/webhooks/${ep.id}/deliveries`, { token: t.adminToken })).body.deliveries[0]
              ?.status,
        )
        .toBe('delivered');
      expect(log.body.deliveries[0].attempts).toBeGreaterThanOrEqual(2);
      const ep2 = await h.call('GET', `/v1/accounts/${t.accountId}/webhooks/${ep.id}`, { token: t.adminToken });
      expect(ep2.body.failureCount).toBe(0);

      // Manual redeliver: once more, same id.
      const d = (await h.call('GET', `/v1/accounts/${t.accountId}/webhooks/${ep.id}/deliveries`, { token: t.adminToken })).body
        .deliveries[0];
      const again = await h.call('POST', `/v1/accounts/${t.accountId}/webhooks/${ep.id}/deliveries/${d.id}/redeliver`, {
        token: t.adminToken,
      });
      expect(again.status).toBe(200);
      await rx.waitFor((list) => list.length >= 4);
      expect(rx.received[3]?.id).toBe(a.id);
    });

    it('an endpoint failing every attempt is disabled, with an endpoint.disabled event and audit', async () => {
      rx = await startReceiver();
      t = await h.tenant();
      const watcher = await startReceiver();
      try {
        const w = await h.call('POST', `/v1/accounts/${t.accountId}/webhooks`, {
          token: t.adminToken,
          body: { url: watcher.url, eventTypes: ['endpoint.disabled'] },
        });
        watcher.setSecret(w.body.secret);
        rx.answer(() => 500);
        const ep = await endpoint(['key.created']);
        await appWithKey(h, t, t.adminToken);
        await watcher.waitFor((list) => list.length >= 1);
        expect(watcher.received[0]?.verified).toMatchObject({
          type: 'endpoint.disabled',
          data: { endpoint: { id: ep.id }, consecutiveFailures: 3 },
        });
        const got = await h.call('GET', `/v1/accounts/${t.accountId}/webhooks/${ep.id}`, { token: t.adminToken });
        expect(got.body).toMatchObject({ enabled: false, failureCount: 3 });
        expect(rx.received.length).toBe(3);
        const audit = await h.call('GET', `/v1/accounts/${t.accountId}/audit`, { token: t.adminToken });
        expect(audit.body.events.map((e: any) => e.action)).toContain('webhook.disable');
        expect((await h.call('POST', `/v1/accounts/${t.accountId}/webhooks/${ep.id}/test`, { token: t.adminToken })).body.error.code).toBe(
          'WEBHOOK_DISABLED',
        );
      } finally {
        await watcher.close();
      }
    });

    it('a redirect is a failed attempt and is never followed', async () => {
      rx = await startReceiver();
      t = await h.tenant();
      rx.answer(() => 302);
      const ep = await endpoint(['key.created']);
      await appWithKey(h, t, t.adminToken);
      await rx.waitFor((list) => list.length >= 1);
      const first = async () =>
        (await h.call('GET', `/v1/accounts/${t.accountId}/webhooks/${ep.id}/deliveries`, { token: t.adminToken })).body.deliveries[0];
      await expect.poll(async () => (await first()).lastStatusCode).toBe(302);
      expect(await first()).toMatchObject({ lastError: 'HTTP 302' });
      expect(rx.received.every((r) => r.id === rx.received[0]?.id)).toBe(true);
      await h.call('DELETE', `/v1/accounts/${t.accountId}/webhooks/${ep.id}`, { token: t.adminToken });
    });

    it('SSRF: private, loopback and link-local targets are refused unless allowed; http only where allowed', async () => {
      rx = await startReceiver();
      t = await h.tenant();
      for (const url of [
        'http://169.254.169.254/latest',
        'https://10.0.0.1/x',
        'https://[::1]/x',
        'http://127.0.0.2/x',
        'ftp://example.com/',
        'https://u:p@127.0.0.1/',
      ]) {
        const res = await h.call('POST', `/v1/accounts/${t.accountId}/webhooks`, {
          token: t.adminToken,
          body: { url, eventTypes: ['key.created'] },
        });
        expect(res.status, url).toBe(400);
        expect(res.body.error.code, url).toBe('WEBHOOK_URL_REFUSED');
      }
      // A node that does not allow 127.0.0.1 refuses the receiver, at registration and at delivery.
      const strict = await createKeyward({ ...h.config, webhooks: { ...FAST, allowPrivate: [] } });
      try {
        await expect(strict.ctx.webhookUrls.check(rx.url)).rejects.toMatchObject({ code: 'WEBHOOK_URL_REFUSED' });
        const { postWebhook } = await import('../../src/webhooks/post.js');
        const refused = await postWebhook(strict.ctx.webhookGuard, rx.url, {}, '{}', { timeoutMs: 1000, maxResponseBytes: 100 });
        expect(refused).toMatchObject({ ok: false, statusCode: null });
        const viaName = await postWebhook(strict.ctx.webhookGuard, rx.url.replace('127.0.0.1', 'localhost'), {}, '{}', {
          timeoutMs: 1000,
          maxResponseBytes: 100,
        });
        expect(viaName.ok).toBe(false);
        expect(viaName.error).toMatch(/refused/);
        expect(rx.received.length).toBe(0);
      } finally {
        await strict.close();
      }
    });

    it('the expiry scan sends key.expiring once per threshold and key.expired once, even with two nodes scanning at once', async () => {
      rx = await startReceiver();
      t = await h.tenant();
      await endpoint(['key.expiring', 'key.expired']);
      // Thresholds of 1 h and 2 s, on the real clock: the key below crosses the first at once and the second after ~0.5 s.
      const scanning = { ...FAST, dispatch: false, expiringSeconds: [3600, 2] };
      const [a, b] = await Promise.all([
        createKeyward({ ...h.config, webhooks: scanning }),
        createKeyward({ ...h.config, webhooks: scanning }),
      ]);
      try {
        const expiresAt = Date.now() + 2500;
        const k = await appWithKey(h, t, t.adminToken, [], { expiresAt });
        // At once on PostgreSQL. Two SQLite nodes in one process cannot overlap transactions (the
        // driver is synchronous: one waiting on the lock blocks the other holding it); across
        // processes the lock serialises them, which the idempotent insert makes safe all the same.
        const both = async () =>
          dialect.name === 'postgres'
            ? Promise.all([scanKeyExpiry(a.ctx), scanKeyExpiry(b.ctx)])
            : [await scanKeyExpiry(a.ctx), await scanKeyExpiry(b.ctx)];
        const until = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
        await both(); // 1 h notice
        await both();
        await until(expiresAt - 1900);
        await both(); // 2 s notice
        await both();
        await until(expiresAt + 50);
        await both(); // expired
        await both();
        await rx.waitFor((list) => list.length >= 3);
        await new Promise((r) => setTimeout(r, 200)); // room for a duplicate to show, bounded
        const got = rx.received.map((r) => r.verified);
        expect(got.map((v) => [v?.type, v?.data.thresholdSeconds])).toEqual([
          ['key.expiring', 3600],
          ['key.expiring', 2],
          ['key.expired', undefined],
        ]);
        expect(got.every((v) => v?.data.key.id === k.keyId)).toBe(true);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    // SQLite's two nodes run as two processes in test/fault/webhook-nodes.test.ts (see the scan test for why).
    if (dialect.name === 'postgres') {
      it('two nodes dispatching: every event delivered exactly once', async () => {
        rx = await startReceiver();
        t = await h.tenant();
        await endpoint(['key.created']);
        const other = await createKeyward({ ...h.config });
        try {
          const app = await h.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'Many' } });
          const n = 10;
          for (let i = 0; i < n; i++) {
            const res = await h.call('POST', `/v1/accounts/${t.accountId}/applications/${app.body.id}/keys`, {
              token: t.adminToken,
              body: { name: `k${i}`, scopes: [] },
            });
            expect(res.status).toBe(201);
          }
          await rx.waitFor((list) => list.length >= n);
          // Give a duplicate the time to show up, bounded: a few poll intervals of both nodes.
          await new Promise((r) => setTimeout(r, 300));
          expect(rx.received.length).toBe(n);
          expect(new Set(rx.received.map((r) => r.id)).size).toBe(n);
        } finally {
          await other.close();
        }
      });
    }
  });
}
