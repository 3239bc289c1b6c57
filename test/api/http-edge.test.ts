import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, DIALECTS, type Harness } from '../harness.js';

const sqlite = DIALECTS[0]!;

describe('HTTP edge: error shape, bad input, OpenAPI', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(sqlite);
  });
  afterAll(async () => h?.close());

  it('malformed JSON, wrong media type and unknown routes get stable 4xx codes', async () => {
    const bad = await h.kw.app.inject({
      method: 'POST',
      url: '/v1/keys/verify',
      headers: { 'content-type': 'application/json' },
      payload: '{"key":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('MALFORMED_JSON');
    const media = await h.kw.app.inject({
      method: 'POST',
      url: '/v1/keys/verify',
      headers: { 'content-type': 'text/xml' },
      payload: '<a/>',
    });
    expect(media.statusCode).toBe(415);
    expect(media.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const big = await h.kw.app.inject({
      method: 'POST',
      url: '/v1/keys/verify',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ key: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    const missing = await h.call('GET', '/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
    expect(missing.body.error.requestId).toBe(missing.headers['x-request-id']);
  });

  it('never answers 5xx to garbage bodies', async () => {
    const t = await h.tenant();
    const urls = ['/v1/keys/verify', '/v1/auth/login', `/v1/accounts/${t.accountId}/applications`, `/v1/accounts/${t.accountId}/users`];
    const bodies = [
      null,
      [],
      1,
      'str',
      { key: null },
      { key: 1 },
      { email: [], password: {} },
      { name: { $gt: '' } },
      { scopes: 'x' },
      { __proto__: { a: 1 } },
    ];
    for (const url of urls) {
      for (const body of bodies) {
        const r = await h.call('POST', url, { token: t.adminToken, body });
        expect(r.status, `${url} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${url} ${JSON.stringify(body)}`).toBeLessThan(500);
        expect(r.body.error.code).toMatch(/^[A-Z_]+$/);
      }
    }
  });

  it('serves an OpenAPI 3.1 document covering every route', async () => {
    const r = await h.call('GET', '/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    const paths = Object.keys(r.body.paths);
    for (const p of [
      '/v1/keys/verify',
      '/v1/auth/login',
      '/v1/accounts/{accountId}/applications/{applicationId}/keys',
      '/v1/accounts/{accountId}/users/{userId}',
    ]) {
      expect(paths).toContain(p);
    }
    const verify = r.body.paths['/v1/keys/verify'].post;
    expect(verify.requestBody.content['application/json'].schema.required).toContain('key');
  });
});
