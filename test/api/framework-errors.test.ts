import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ERROR_CODES, httpStatusOf } from '../../src/core/errors.js';
import { createHarness, DIALECTS, type Harness } from '../harness.js';
import { rawExchange } from '../raw-http.js';

// Errors raised by node:http and Fastify before any route: the store plays no part.
const sqlite = DIALECTS[0]!;

const close = 'Host: x\r\nConnection: close\r\n\r\n';

/** Requests the framework or node:http refuse, each with the code its answer must carry. */
const CASES: [string, string, keyof typeof ERROR_CODES][] = [
  ['bad percent-encoding in a path parameter', `GET /v1/accounts/%E0%A4%A HTTP/1.1\r\n${close}`, 'BAD_URL'],
  ['bad percent-encoding on the fast path’s route', `POST /v1/keys/%E0%A4%A HTTP/1.1\r\n${close}`, 'BAD_URL'],
  ['a raw non-ASCII byte in the URL', `GET /v1/accounts/\u00e9 HTTP/1.1\r\n${close}`, 'BAD_URL'],
  ['an over-long path parameter', `GET /v1/accounts/${'a'.repeat(101)} HTTP/1.1\r\n${close}`, 'URI_TOO_LONG'],
  ['oversized headers (over 16 KB)', `GET /healthz HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n${close}`, 'HEADERS_TOO_LARGE'],
  ['an unknown method', `FOO /healthz HTTP/1.1\r\n${close}`, 'MALFORMED_REQUEST'],
  ['an invalid Content-Length', `POST /v1/auth/login HTTP/1.1\r\nContent-Length: abc\r\n${close}`, 'MALFORMED_REQUEST'],
  ['an unknown HTTP version', `GET /healthz HTTP/9.9\r\n${close}`, 'MALFORMED_REQUEST'],
  ['a header line without a colon', `GET /healthz HTTP/1.1\r\nBad Header\r\n${close}`, 'MALFORMED_REQUEST'],
  ['a NUL byte in a header value', `GET /healthz HTTP/1.1\r\nX-A: a\u0000b\r\n${close}`, 'MALFORMED_REQUEST'],
  [
    'both Content-Length and Transfer-Encoding',
    `POST /v1/auth/login HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n${close}`,
    'MALFORMED_REQUEST',
  ],
  ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 'METHOD_NOT_ALLOWED'],
  ['an HTTP/1.1 request without Host', 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n', 'MALFORMED_REQUEST'],
  ['an empty Host', 'GET /healthz HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n', 'MALFORMED_REQUEST'],
  ['an Expect other than 100-continue', `GET /healthz HTTP/1.1\r\nExpect: teapot\r\n${close}`, 'EXPECTATION_FAILED'],
  ['a method node accepts but no route has', `PROPFIND /v1/accounts HTTP/1.1\r\n${close}`, 'ROUTE_NOT_FOUND'],
];

describe('framework and node:http errors answer with the error envelope', () => {
  let h: Harness;
  let port: number;
  beforeAll(async () => {
    // Without the dashboard: with it, an over-long API parameter falls through to its `/*` route (404 in the envelope).
    h = await createHarness(sqlite, { dashboardDir: '/nonexistent/keyward-dashboard' });
    port = Number(new URL(await h.kw.app.listen({ host: '127.0.0.1', port: 0 })).port);
  });
  afterAll(async () => h?.close());

  it.each(CASES)('regression: %s', async (_name, request, code) => {
    const res = await rawExchange(port, Buffer.from(request, 'latin1'));
    expect(res.status, res.raw.slice(0, 300)).toBe(httpStatusOf(code));
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json).toEqual({ error: { code, message: expect.any(String), requestId: expect.stringMatching(/^req_/) } });
    expect(res.headers['x-request-id']).toBe(res.json.error.requestId);
  });

  it('HTTP/1.0 without Host and Expect: 100-continue are still served', async () => {
    expect((await rawExchange(port, 'GET /healthz HTTP/1.0\r\n\r\n')).status).toBe(200);
    const verify =
      'POST /v1/keys/verify HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 14\r\n';
    const res = await rawExchange(port, `${verify}${close.slice('Host: x\r\n'.length)}{"key":"kw_x"}`);
    expect(res.raw).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  });

  it('still serves afterwards', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });
});
