import { AggregatorRegistry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsConfigFrom } from '../../src/config.js';
import { generateKey, hashSecret } from '../../src/core/key-format.js';
import { appWithKey, createHarness, DIALECTS, type Harness, REDIS_URL, type Tenant } from '../harness.js';
import { createDevice, signedCheck } from '../signing.js';
import { TcpProxy } from '../tcp-proxy.js';

/**
 * Issue #11, "Observable": GET /metrics in the Prometheus text format. Counters move by exactly
 * the answers given, over the fast path (real HTTP) and the Fastify routes (inject); the token,
 * the separate port and KEYWARD_METRICS=off; the relay gauge; and no secret or id in the text.
 */

/** Every sample line of a Prometheus text: `name{labels}` → value. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** `name{a="x",b="y"}` as prom-client writes it (labels in the order given). */
const series = (name: string, labels: Record<string, string> = {}) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return parts.length ? `${name}{${parts.join(',')}}` : name;
};

const JSON_HEADERS = { 'content-type': 'application/json' };

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`GET /metrics [${dialect.name}]`, () => {
    let h: Harness;
    let t: Tenant;
    let base: string;
    beforeAll(async () => {
      h = await createHarness(dialect);
      t = await h.tenant();
      base = await h.kw.app.listen({ host: '127.0.0.1', port: 0 });
    });
    afterAll(async () => h?.close());

    const scrape = async () => {
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      return parse(await res.text());
    };
    /** The change of each series between two scrapes. */
    const delta = (before: Map<string, number>, after: Map<string, number>, name: string, labels: Record<string, string> = {}) =>
      (after.get(series(name, labels)) ?? 0) - (before.get(series(name, labels)) ?? 0);
    const fastVerify = async (body: string) =>
      (await fetch(`${base}/v1/keys/verify`, { method: 'POST', headers: JSON_HEADERS, body })).status;

    it('is documented as text/plain and answers through the harness within the contract', async () => {
      const res = await h.call('GET', '/metrics');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toContain('# TYPE keyward_verifications_total counter');
      expect(res.body).toContain('# TYPE process_cpu_user_seconds_total counter');
      const doc = (await h.call('GET', '/openapi.json')).body;
      expect(Object.keys(doc.paths['/metrics'].get.responses['200'].content)).toEqual(['text/plain; version=0.0.4; charset=utf-8']);
      expect(doc.paths['/metrics'].get.tags).toEqual(['ops']);
    });

    it('verification counters move by exactly the answers of each code, over the fast path and the Fastify route', async () => {
      const valid = await appWithKey(h, t, t.adminToken);
      const revoked = await appWithKey(h, t, t.adminToken);
      await h.call('POST', `/v1/accounts/${t.accountId}/keys/${revoked.keyId}/revoke`, { token: t.adminToken });
      const before = await scrape();
      for (let i = 0; i < 3; i++) expect(await fastVerify(JSON.stringify({ key: valid.key }))).toBe(200);
      for (let i = 0; i < 2; i++) expect((await h.call('POST', '/v1/keys/verify', { body: { key: valid.key } })).body.code).toBe('VALID');
      expect(await fastVerify(JSON.stringify({ key: generateKey() }))).toBe(200); // NOT_FOUND
      expect(await fastVerify(JSON.stringify({ key: generateKey() }))).toBe(200);
      expect(await fastVerify(JSON.stringify({ key: 'kw_not_a_key' }))).toBe(200); // MALFORMED
      expect(await fastVerify(JSON.stringify({ key: revoked.key }))).toBe(200);
      expect((await h.call('POST', '/v1/keys/verify', { body: { key: valid.key, scopes: ['device:read'] } })).body.code).toBe(
        'INSUFFICIENT_SCOPE',
      );
      expect(await fastVerify('{"key":')).toBe(400); // MALFORMED_JSON, fast path
      expect((await h.call('POST', '/v1/keys/verify', { body: { key: 5 } })).status).toBe(400); // VALIDATION_FAILED, Fastify
      const after = await scrape();
      const key = (code: string) => delta(before, after, 'keyward_verifications_total', { kind: 'key', code });
      expect(key('VALID')).toBe(5);
      expect(key('NOT_FOUND')).toBe(2);
      expect(key('MALFORMED')).toBe(1);
      expect(key('REVOKED')).toBe(1);
      expect(key('INSUFFICIENT_SCOPE')).toBe(1);
      expect(key('MALFORMED_JSON')).toBe(1);
      expect(key('VALIDATION_FAILED')).toBe(1);
      expect(key('EXPIRED')).toBe(0);
      // The histogram times every 200 answer, and only those.
      expect(delta(before, after, 'keyward_verify_duration_seconds_count', { kind: 'key' })).toBe(10);
      expect(delta(before, after, 'keyward_verify_duration_seconds_bucket', { kind: 'key', le: '+Inf' })).toBe(10);
      expect(delta(before, after, 'keyward_verify_duration_seconds_sum', { kind: 'key' })).toBeGreaterThan(0);
      // Counted on the node:http server: the fast path's 400, not inject()'s (which has no socket).
      expect(delta(before, after, 'keyward_http_responses_total', { class: '4xx' })).toBe(1);
      expect(delta(before, after, 'keyward_http_responses_total', { class: '2xx' })).toBe(7 + 1); // and the first scrape
    });

    it('cache hits and misses move: a fresh key misses once, then hits', async () => {
      const k = await appWithKey(h, t, t.adminToken);
      const before = await scrape();
      for (let i = 0; i < 3; i++) await fastVerify(JSON.stringify({ key: k.key }));
      const after = await scrape();
      expect(delta(before, after, 'keyward_cache_misses_total', { cache: 'verification' })).toBe(1);
      expect(delta(before, after, 'keyward_cache_hits_total', { cache: 'verification' })).toBe(2);
      expect(delta(before, after, 'keyward_cache_loads_total', { cache: 'verification' })).toBe(1);
      expect(after.get(series('keyward_cache_entries', { cache: 'verification' }))).toBeGreaterThan(0);
      expect(delta(before, after, 'keyward_store_query_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    });

    it('signature verifications and device cache lookups are counted', async () => {
      const device = await createDevice(h, t);
      const body = signedCheck(device.id, device.secret as string);
      const before = await scrape();
      expect((await h.call('POST', '/v1/signatures/verify', { body })).body.code).toBe('VALID');
      expect((await h.call('POST', '/v1/signatures/verify', { body })).body.code).toBe('REPLAYED');
      expect((await h.call('POST', '/v1/signatures/verify', { body: { ...body, timestamp: 'nope' } })).body.code).toBe('BAD_TIMESTAMP');
      const after = await scrape();
      const sig = (code: string) => delta(before, after, 'keyward_verifications_total', { kind: 'signature', code });
      expect([sig('VALID'), sig('REPLAYED'), sig('BAD_TIMESTAMP')]).toEqual([1, 1, 1]);
      expect(delta(before, after, 'keyward_verify_duration_seconds_count', { kind: 'signature' })).toBe(3);
      expect(delta(before, after, 'keyward_cache_misses_total', { cache: 'device' })).toBe(1);
      expect(delta(before, after, 'keyward_cache_hits_total', { cache: 'device' })).toBe(1);
    });

    it('gateway decisions are counted by outcome', async () => {
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const ask = (headers: Record<string, string>) => h.kw.app.inject({ method: 'GET', url: '/v1/authorize', headers });
      const before = await scrape();
      const original = { 'x-original-method': 'GET', 'x-original-uri': '/integration/device/csvExport' };
      expect((await ask({ ...original, authorization: `Bearer ${k.key}` })).statusCode).toBe(200);
      expect(
        (await ask({ ...original, 'x-original-uri': '/integration/device/onboard', authorization: `Bearer ${k.key}` })).statusCode,
      ).toBe(403);
      expect((await ask(original)).statusCode).toBe(401);
      expect((await ask({ authorization: `Bearer ${k.key}` })).statusCode).toBe(400);
      const after = await scrape();
      const outcome = (o: string) => delta(before, after, 'keyward_authorize_total', { route: 'authorize', outcome: o });
      expect([outcome('allowed'), outcome('SCOPE_DENIED'), outcome('UNAUTHORIZED'), outcome('VALIDATION_FAILED')]).toEqual([1, 1, 1, 1]);
    });

    it('holds no key, hash, id, email or token: only codes and kinds', async () => {
      const k = await appWithKey(h, t, t.adminToken);
      expect(await fastVerify(JSON.stringify({ key: k.key }))).toBe(200);
      await h.call('GET', `/v1/accounts/${t.accountId}/keys/${k.keyId}`, { token: t.adminToken });
      // A hostile query and headers change nothing.
      const res = await fetch(`${base}/metrics?${'x'.repeat(4000)}=${k.key}`, { headers: { authorization: `Bearer ${k.key}` } });
      expect(res.status).toBe(200);
      const text = await res.text();
      for (const secret of [
        k.key,
        k.key.slice(3),
        hashSecret(k.key),
        k.keyId,
        k.applicationId,
        t.accountId,
        t.customerId,
        t.adminEmail,
        t.adminToken,
      ]) {
        expect(text).not.toContain(secret);
      }
      const labelValues = [...text.matchAll(/="([^"]*)"/g)].map((m) => m[1] as string);
      expect(labelValues.filter((v) => /^(key|app|acc|usr|dev)_|@|^kw/.test(v))).toEqual([]);
    });

    it('the counters of several workers add up in prom-client AggregatorRegistry (cluster mode)', async () => {
      const metrics = h.kw.metrics;
      expect(metrics).toBeDefined();
      const one = await Promise.all((metrics?.registries ?? []).map((r) => r.getMetricsAsJSON()));
      const merged = parse(await AggregatorRegistry.aggregate([one.flat(), one.flat()]).metrics());
      const single = parse((await metrics?.render()) ?? '');
      const valid = series('keyward_verifications_total', { kind: 'key', code: 'VALID' });
      expect(merged.get(valid)).toBe(2 * (single.get(valid) ?? Number.NaN));
      const up = [...single.keys()].find((s) => s.startsWith('keyward_relay_up'));
      if (up) expect(merged.get(up)).toBe(single.get(up)); // a gauge that says "all up" takes the minimum
      expect(merged.get('keyward_store_up')).toBe(1);
    });
  });
}

const sqlite = DIALECTS.find((d) => d.name === 'sqlite') as (typeof DIALECTS)[number];

describe('GET /metrics: token, separate port, off', () => {
  const TOKEN = 'metrics-token-0123456789abcdef';

  it('KEYWARD_METRICS_TOKEN: 401 UNAUTHORIZED without it or with a wrong one, 200 with it', async () => {
    const h = await createHarness(sqlite, { metrics: { enabled: true, token: TOKEN, port: undefined, host: '127.0.0.1' } });
    try {
      const attempts: Record<string, string>[] = [
        {},
        { authorization: 'Bearer wrong-token-0123456789abcdef' },
        { authorization: TOKEN },
        { authorization: `Basic ${TOKEN}` },
      ];
      for (const headers of attempts) {
        const res = await h.call('GET', '/metrics', { headers });
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHORIZED');
        expect(res.headers['www-authenticate']).toBe('Bearer');
      }
      const ok = await h.call('GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('keyward_verifications_total');
    } finally {
      await h.close();
    }
  });

  it('KEYWARD_METRICS_PORT: its own listener serves /metrics (token too), the main port answers 404 ROUTE_NOT_FOUND', async () => {
    const h = await createHarness(sqlite, { metrics: { enabled: true, token: TOKEN, port: 0, host: '127.0.0.1' } });
    try {
      const url = h.kw.metricsListener?.url;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const main = await h.call('GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(main.status).toBe(404);
      expect(main.body.error.code).toBe('ROUTE_NOT_FOUND');
      const auth = { authorization: `Bearer ${TOKEN}` };
      const ok = await fetch(`${url}/metrics`, { headers: auth });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await ok.text()).toContain('keyward_store_up 1');
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      const other = await fetch(`${url}/v1/keys/verify`, { method: 'POST', headers: { ...auth, ...JSON_HEADERS }, body: '{"key":"x"}' });
      expect(other.status).toBe(404);
      expect(((await other.json()) as { error: { code: string } }).error.code).toBe('ROUTE_NOT_FOUND');
      expect((await fetch(`${url}/metrics`, { method: 'POST', headers: auth, body: 'x'.repeat(100_000) })).status).toBe(405);
    } finally {
      await h.close();
    }
  });

  it('KEYWARD_METRICS=off: nothing is counted and /metrics is 404', async () => {
    const h = await createHarness(sqlite, { metrics: { enabled: false, token: undefined, port: 0, host: '127.0.0.1' } });
    try {
      expect(h.kw.ctx.metrics).toBeUndefined();
      expect(h.kw.metrics).toBeUndefined();
      expect(h.kw.metricsListener).toBeUndefined();
      const res = await h.call('GET', '/metrics');
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('ROUTE_NOT_FOUND');
      expect((await h.call('POST', '/v1/keys/verify', { body: { key: generateKey() } })).body.code).toBe('NOT_FOUND');
    } finally {
      await h.close();
    }
  });
});

describe('KEYWARD_METRICS* settings', () => {
  it('defaults to on, on the main port, without a token; refuses what it cannot mean', () => {
    expect(metricsConfigFrom({})).toEqual({ enabled: true, token: undefined, port: undefined, host: '127.0.0.1' });
    expect(metricsConfigFrom({ KEYWARD_METRICS: 'off' }).enabled).toBe(false);
    expect(metricsConfigFrom({ KEYWARD_METRICS_PORT: '9464', KEYWARD_METRICS_HOST: '0.0.0.0' })).toMatchObject({
      port: 9464,
      host: '0.0.0.0',
    });
    expect(() => metricsConfigFrom({ KEYWARD_METRICS: 'maybe' })).toThrow(/KEYWARD_METRICS must be on or off/);
    expect(() => metricsConfigFrom({ KEYWARD_METRICS_TOKEN: 'short' })).toThrow(/at least 16 characters/);
    expect(() => metricsConfigFrom({ KEYWARD_METRICS_PORT: '70000' })).toThrow(/TCP port/);
    expect(() => metricsConfigFrom({ KEYWARD_METRICS_PORT: '-1' })).toThrow(/non-negative integer/);
  });
});

describe.skipIf(REDIS_URL === undefined)('GET /metrics: the relay gauge follows the relay', () => {
  let proxy: TcpProxy;
  let h: Harness;
  beforeAll(async () => {
    const target = new URL(REDIS_URL as string);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    h = await createHarness(sqlite, { redisUrl: `redis://127.0.0.1:${proxy.port}`, relayDownTtlMs: 500 });
  });
  afterAll(async () => {
    await h?.close();
    await proxy?.close();
  });

  /** Polls the gauge every 20 ms until it shows `want`, for at most 10 s. */
  async function relayUpBecomes(want: number): Promise<number | undefined> {
    const end = Date.now() + 10_000;
    for (;;) {
      const text = (await h.call('GET', '/metrics')).body as string;
      const value = parse(text).get(series('keyward_relay_up', { bus: 'redis' }));
      if (value === want || Date.now() > end) return value;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('keyward_relay_up{bus="redis"} is 1, 0 while Redis is cut off, 1 again once back', async () => {
    expect(h.kw.relay?.kind).toBe('redis');
    expect(await relayUpBecomes(1)).toBe(1);
    proxy.cut('reset');
    expect(await relayUpBecomes(0)).toBe(0);
    expect(h.kw.relay?.listening).toBe(false);
    proxy.reopen();
    expect(await relayUpBecomes(1)).toBe(1);
  });
});
