import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../packages/client/src/index.js';
import { appWithKey, createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';
import { createDevice } from '../signing.js';
import { type Seen, startUpstream } from './upstream.js';

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`reverse-proxy mode [${dialect.name}]`, () => {
    let h: Harness;
    let upstream: Awaited<ReturnType<typeof startUpstream>>;
    let base: string;
    let t: Tenant;
    let key: Awaited<ReturnType<typeof appWithKey>>;

    beforeAll(async () => {
      upstream = await startUpstream();
      h = await createHarness(dialect, { upstream: upstream.url });
      base = await h.kw.app.listen({ host: '127.0.0.1', port: 0 });
      t = await h.tenant();
      key = await appWithKey(h, t, t.adminToken, ['device:downlinks', 'device:onboarding']);
    });
    afterAll(async () => {
      await h?.close();
      await upstream?.close();
    });

    it('forwards an allowed request with identity headers, its body and query; strips Authorization and spoofed identity', async () => {
      const body = Buffer.alloc(2 * 1024 * 1024, 'x'); // over Keyward's 1 MiB JSON limit: proves it streams unparsed
      const before = upstream.seen.length;
      const res = await fetch(`${base}/integration/device/sendmsg?eui=0011&port=2`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key.key}`,
          'content-type': 'application/octet-stream',
          'x-keyward-account-id': 'acc_spoofed',
          'x-custom': 'kept',
        },
        body,
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('x-upstream')).toBe('yes');
      expect(await res.json()).toEqual({ upstream: true, url: '/integration/device/sendmsg?eui=0011&port=2' });
      const got = upstream.seen[before] as Seen;
      expect(got.method).toBe('POST');
      expect(got.bodyLength).toBe(body.length);
      expect(got.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
      expect(got.headers.authorization).toBeUndefined();
      expect(got.headers['x-custom']).toBe('kept');
      expect(got.headers['x-keyward-account-id']).toBe(t.accountId);
      expect(got.headers['x-keyward-customer-id']).toBe(t.customerId);
      expect(got.headers['x-keyward-key-id']).toBe(key.keyId);
      expect(got.headers['x-keyward-application-id']).toBe(key.applicationId);
      expect(got.headers['x-keyward-key-kind']).toBe('application');
      expect(got.headers['x-forwarded-for']).toContain('127.0.0.1');
    });

    it('issue #12: a limited key gets RateLimit headers on the forwarded answer, then 429 with Retry-After, never forwarded', async () => {
      const limited = await appWithKey(h, t, t.adminToken, ['device:downlinks'], {
        ratelimits: [{ name: 'default', limit: 1, window: 'minute' }],
      });
      const send = () =>
        fetch(`${base}/integration/device/sendmsg?eui=0011`, { method: 'POST', headers: { authorization: `Bearer ${limited.key}` } });
      const first = await send();
      expect(first.status).toBe(201);
      expect(first.headers.get('x-upstream')).toBe('yes');
      expect(first.headers.get('ratelimit-limit')).toBe('1');
      expect(first.headers.get('ratelimit-remaining')).toBe('0');
      expect(first.headers.get('ratelimit-policy')).toBe('1;w=60');
      const before = upstream.seen.length;
      const second = await send();
      expect(second.status).toBe(429);
      expect(second.headers.get('x-upstream')).toBeNull();
      expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(55);
      expect(second.headers.get('ratelimit-remaining')).toBe('0');
      expect(((await second.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
      expect(upstream.seen.length).toBe(before);
    });

    /** A refusal as the caller sees it, with what differs per request (its id, the clock's seconds) apart. */
    async function refusalOf(res: Response) {
      const body = (await res.json()) as { error: { code: string; message: string; requestId: string; details?: Record<string, unknown> } };
      const { requestId, details, ...error } = body.error;
      expect(requestId).toMatch(/^req_/);
      const { retryAfterSeconds, ratelimits, ...rest } = details ?? {};
      return {
        status: res.status,
        error,
        details: rest,
        ratelimits: (ratelimits as { resetMs?: number }[] | undefined)?.map(({ resetMs: _, ...l }) => l),
        retryAfterSeconds,
        xKeywardError: res.headers.get('x-keyward-error'),
        retryAfter: res.headers.get('retry-after'),
        limit: res.headers.get('ratelimit-limit'),
        remaining: res.headers.get('ratelimit-remaining'),
        reset: res.headers.get('ratelimit-reset'),
        policy: res.headers.get('ratelimit-policy'),
      };
    }
    const authorizeAs = (authorization: string, method: string, uri: string) =>
      fetch(`${base}/v1/authorize`, { headers: { authorization, 'x-original-method': method, 'x-original-uri': uri } });

    it('a key revoked after being proxied is refused by the very next proxied request, as /v1/authorize refuses it', async () => {
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const path = '/integration/device/csvExport';
      // Twice: the second is decided from the answers prepared for the cached key record.
      for (let i = 0; i < 2; i++) {
        const ok = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${k.key}` } });
        expect(ok.status).toBe(201);
        expect(ok.headers.get('x-upstream')).toBe('yes');
      }
      const revoke = await h.call('POST', `/v1/accounts/${t.accountId}/keys/${k.keyId}/revoke`, { token: t.adminToken });
      expect(revoke.status).toBeLessThan(300);
      const before = upstream.seen.length;
      const proxied = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${k.key}` } });
      const direct = await authorizeAs(`Bearer ${k.key}`, 'GET', path);
      const p = await refusalOf(proxied);
      expect(p.status).toBe(401);
      expect(p.error.code).toBe('REVOKED');
      expect(p.xKeywardError).toBe('REVOKED');
      expect(p).toEqual(await refusalOf(direct));
      expect(proxied.headers.get('x-upstream')).toBeNull();
      expect(upstream.seen.length).toBe(before);
    });

    it("issue #12: a limited key's 429 through the proxy equals /v1/authorize's, headers and body", async () => {
      const limited = await appWithKey(h, t, t.adminToken, ['device:read'], {
        ratelimits: [{ name: 'default', limit: 1, window: 'minute' }],
      });
      const path = '/integration/device/csvExport';
      const first = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${limited.key}` } });
      expect(first.status).toBe(201);
      const before = upstream.seen.length;
      const proxied = await refusalOf(await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${limited.key}` } }));
      const direct = await refusalOf(await authorizeAs(`Bearer ${limited.key}`, 'GET', path));
      expect(upstream.seen.length).toBe(before);
      expect(proxied.status).toBe(429);
      expect(proxied.error.code).toBe('RATE_LIMITED');
      expect(proxied.xKeywardError).toBe('RATE_LIMITED');
      expect(proxied.remaining).toBe('0');
      expect(proxied.policy).toBe('1;w=60');
      // Seconds to wait are read off the clock a few milliseconds apart: equal, or one second less on the later answer.
      for (const name of ['retryAfter', 'reset', 'retryAfterSeconds'] as const) {
        const d = Number(proxied[name]) - Number(direct[name]);
        expect(Number.isFinite(d) && d >= 0 && d <= 1, `${name}: ${proxied[name]} vs ${direct[name]}`).toBe(true);
        expect(Number(proxied[name])).toBeGreaterThan(55);
      }
      const strip = ({ retryAfter: _a, reset: _r, retryAfterSeconds: _s, ...r }: typeof proxied) => r;
      expect(strip(proxied)).toEqual(strip(direct));
    });

    it('forwards a CTN1-signed request, hashing the body it forwards; a swapped body is refused', async () => {
      const dev = await createDevice(h, t);
      const url = `${base}/integration/device/register?eui=00aa`;
      const body = JSON.stringify({ eui: '00aa', name: 'sensor' });
      const headers = signRequest({
        deviceId: dev.id,
        secret: dev.secret as string,
        method: 'POST',
        url,
        body,
        headers: { 'content-type': 'application/json' },
      });
      const before = upstream.seen.length;
      const ok = await fetch(url, { method: 'POST', headers, body });
      expect(ok.status).toBe(201);
      const got = upstream.seen[before] as Seen;
      expect(got.headers['x-keyward-device-id']).toBe(dev.id);
      expect(got.headers['x-keyward-key-kind']).toBe('device');
      expect(got.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
      expect(got.headers.authorization).toBeUndefined();

      // Same signature headers, different body (and a lying X-Content-SHA256): refused, never forwarded.
      const again = signRequest({ deviceId: dev.id, secret: dev.secret as string, method: 'POST', url, body, headers: {} });
      const swapped = JSON.stringify({ eui: '00aa', name: 'evil' });
      const seen = upstream.seen.length;
      const bad = await fetch(url, {
        method: 'POST',
        headers: { ...again, 'x-content-sha256': createHash('sha256').update(body).digest('hex') },
        body: swapped,
      });
      expect(bad.status).toBe(401);
      expect(((await bad.json()) as any).error.code).toBe('INVALID_SIGNATURE');
      expect(upstream.seen.length).toBe(seen);
    });

    it('a signed request replayed through the proxy is refused REPLAYED, never forwarded twice, as /v1/authorize refuses it', async () => {
      const dev = await createDevice(h, t);
      const url = `${base}/integration/device/register?eui=00ab`;
      const body = JSON.stringify({ eui: '00ab' });
      // The first caches the device and its signing key: the ones after are decided in the same turn.
      // (Another path: a second signature of the same request in the same second is the same signature, a replay.)
      const warm = `${base}/integration/device/register?eui=00ac`;
      const warmHeaders = signRequest({ deviceId: dev.id, secret: dev.secret as string, method: 'POST', url: warm, body, headers: {} });
      expect((await fetch(warm, { method: 'POST', headers: warmHeaders, body })).status).toBe(201);
      const headers = signRequest({ deviceId: dev.id, secret: dev.secret as string, method: 'POST', url, body, headers: {} });
      const before = upstream.seen.length;
      const ok = await fetch(url, { method: 'POST', headers, body });
      expect(ok.status).toBe(201);
      expect(ok.headers.get('x-upstream')).toBe('yes');
      expect(upstream.seen.length).toBe(before + 1);
      const replayed = await fetch(url, { method: 'POST', headers, body });
      const p = await refusalOf(replayed);
      expect(p.status).toBe(401);
      expect(p.error.code).toBe('REPLAYED');
      expect(p.xKeywardError).toBe('REPLAYED');
      expect(upstream.seen.length).toBe(before + 1);
      // The same signature asked of /v1/authorize (same method, path, host, body hash): refused alike.
      const direct = await fetch(`${base}/v1/authorize`, {
        headers: {
          ...headers,
          'x-original-method': 'POST',
          'x-original-uri': '/integration/device/register?eui=00ab',
          'x-original-host': new URL(url).host,
          'x-content-sha256': createHash('sha256').update(body).digest('hex'),
        },
      });
      expect(await refusalOf(direct)).toEqual(p);
    });

    it('accepts the raw Senet-style Authorization header', async () => {
      const res = await fetch(`${base}/integration/device/status`, { headers: { authorization: key.key } });
      expect(res.status).toBe(201);
    });

    it('403 SCOPE_DENIED and 401 for bad credentials, without reaching the upstream', async () => {
      const before = upstream.seen.length;
      const denied = await fetch(`${base}/integration/usage/details`, { headers: { authorization: `Bearer ${key.key}` } });
      expect(denied.status).toBe(403);
      expect(((await denied.json()) as any).error.code).toBe('SCOPE_DENIED');
      expect(denied.headers.get('x-keyward-error')).toBe('SCOPE_DENIED');
      const none = await fetch(`${base}/integration/device/sendmsg`, { method: 'POST', body: 'x' });
      expect(none.status).toBe(401);
      expect(((await none.json()) as any).error.code).toBe('UNAUTHORIZED');
      const other = await appWithKey(h, t, t.adminToken, ['device:fuota']);
      await h.call('POST', `/v1/accounts/${t.accountId}/keys/${other.keyId}/revoke`, { token: t.adminToken });
      const revoked = await fetch(`${base}/integration/mcastTransfer`, { headers: { authorization: `Bearer ${other.key}` } });
      expect(revoked.status).toBe(401);
      expect(((await revoked.json()) as any).error.code).toBe('REVOKED');
      expect(upstream.seen.length).toBe(before);
    });

    it("Keyward's own routes are served, never forwarded; unknown /v1 paths stay 404", async () => {
      const before = upstream.seen.length;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/v1/catalogue`)).status).toBe(200);
      const missing = await fetch(`${base}/v1/nothing-here`, { headers: { authorization: `Bearer ${key.key}` } });
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as any).error.code).toBe('ROUTE_NOT_FOUND');
      expect(upstream.seen.length).toBe(before);
    });

    it('502 UPSTREAM_UNAVAILABLE when the upstream is down', async () => {
      const down = await startUpstream();
      await down.close();
      const h2 = await createHarness(dialect, { upstream: down.url });
      try {
        const t2 = await h2.tenant();
        const k2 = await appWithKey(h2, t2, t2.adminToken, ['device:read']);
        const url = await h2.kw.app.listen({ host: '127.0.0.1', port: 0 });
        const res = await fetch(`${url}/integration/device/csvExport`, { headers: { authorization: `Bearer ${k2.key}` } });
        expect(res.status).toBe(502);
        expect(((await res.json()) as any).error.code).toBe('UPSTREAM_UNAVAILABLE');
      } finally {
        await h2.close();
      }
    });
  });
}

describe('without --upstream', () => {
  it('unknown paths are plain 404s', async () => {
    const sqlite = DIALECTS.find((d) => d.name === 'sqlite');
    if (!sqlite) throw new Error('no sqlite dialect');
    const h = await createHarness(sqlite);
    try {
      const r = await h.call('GET', '/integration/device/status');
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('ROUTE_NOT_FOUND');
    } finally {
      await h.close();
    }
  });
});

describe('proxy mode with the dashboard served at /', () => {
  it('browsers without credentials get the dashboard; credentialed calls and unmatched paths go upstream', async () => {
    const sqlite = DIALECTS.find((d) => d.name === 'sqlite');
    if (!sqlite) throw new Error('no sqlite dialect');
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dashboardDir = mkdtempSync(join(tmpdir(), 'keyward-dash-'));
    writeFileSync(join(dashboardDir, 'index.html'), '<!doctype html><title>dash</title>');
    const upstream = await startUpstream();
    const h = await createHarness(sqlite, { upstream: upstream.url, dashboardDir });
    try {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:onboarding']);
      const base = await h.kw.app.listen({ host: '127.0.0.1', port: 0 });
      const page = await fetch(`${base}/integration/device/status`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>dash</title>');
      const before = upstream.seen.length;
      const call = await fetch(`${base}/integration/device/status`, { headers: { accept: 'text/html', authorization: `Bearer ${k.key}` } });
      expect(call.status).toBe(201);
      expect(upstream.seen.length).toBe(before + 1);
      const anonymous = await fetch(`${base}/integration/device/status`, { headers: { accept: 'application/json' } });
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as any).error.code).toBe('UNAUTHORIZED');
      const api = await fetch(`${base}/healthz`, { headers: { authorization: `Bearer ${k.key}` } });
      expect(((await api.json()) as any).ok).toBe(true);
    } finally {
      await h.close();
      await upstream.close();
      rmSync(dashboardDir, { recursive: true, force: true });
    }
  });
});
