import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpLimits, loadConfig } from '../../src/config.js';
import { createHarness, DIALECTS, type Harness } from '../harness.js';
import { open, untilClosed } from '../raw-http.js';

// HTTP limits do not depend on the store: one dialect is enough.
const sqlite = DIALECTS[0]!;

/** Small limits so each case takes a fraction of a second; the assertions wait for the close event. */
const FAST: HttpLimits = {
  headersTimeoutMs: 300,
  requestTimeoutMs: 600,
  keepAliveTimeoutMs: 300,
  socketIdleTimeoutMs: 10_000,
  maxConnections: 1000,
};

function expectEnvelope(json: any, code: string) {
  expect(json).toEqual({ error: { code, message: expect.any(String), requestId: expect.stringMatching(/^req_/) } });
}

describe('HTTP server limits: defaults and configuration', () => {
  it('regression: the server has header, request, keep-alive and idle timeouts and a connection cap (all were 0 or unset)', async () => {
    for (const fastVerify of [true, false]) {
      const h = await createHarness(sqlite, { fastVerify });
      try {
        const server = h.kw.app.server;
        expect(server.headersTimeout).toBe(10_000);
        expect(server.requestTimeout).toBe(30_000);
        expect(server.keepAliveTimeout).toBe(72_000);
        expect(server.timeout).toBe(120_000);
        expect(server.maxConnections).toBe(10_000);
      } finally {
        await h.close();
      }
    }
  });

  it('reads every limit from KEYWARD_* variables and refuses values that would turn one off', () => {
    const config = loadConfig({
      KEYWARD_HEADERS_TIMEOUT_MS: '2000',
      KEYWARD_REQUEST_TIMEOUT_MS: '4000',
      KEYWARD_KEEPALIVE_TIMEOUT_MS: '5000',
      KEYWARD_SOCKET_IDLE_TIMEOUT_MS: '6000',
      KEYWARD_MAX_CONNECTIONS: '7',
    });
    expect(config.http).toEqual({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 4000,
      keepAliveTimeoutMs: 5000,
      socketIdleTimeoutMs: 6000,
      maxConnections: 7,
    });
    expect(() => loadConfig({ KEYWARD_REQUEST_TIMEOUT_MS: '0' })).toThrow(/KEYWARD_REQUEST_TIMEOUT_MS/);
    expect(() => loadConfig({ KEYWARD_MAX_CONNECTIONS: '-1' })).toThrow(/KEYWARD_MAX_CONNECTIONS/);
    expect(() => loadConfig({ KEYWARD_HEADERS_TIMEOUT_MS: '40000' })).toThrow(/must not exceed/);
  });
});

for (const fastVerify of [true, false]) {
  describe(`stalled clients are disconnected (fast path ${fastVerify ? 'on' : 'off'})`, () => {
    let h: Harness;
    let port: number;
    beforeAll(async () => {
      h = await createHarness(sqlite, { fastVerify, http: FAST });
      port = Number(new URL(await h.kw.app.listen({ host: '127.0.0.1', port: 0 })).port);
    });
    afterAll(async () => h?.close());

    it('a client that sends half its headers and stalls gets 408 REQUEST_TIMEOUT and is disconnected', async () => {
      const socket = await open(port);
      const closed = untilClosed(socket);
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      const res = await closed;
      expect(res.status).toBe(408);
      expectEnvelope(res.json, 'REQUEST_TIMEOUT');
    });

    it('a client that opens a connection and sends nothing is disconnected', async () => {
      const socket = await open(port);
      await untilClosed(socket);
      expect(socket.destroyed).toBe(true);
    });

    for (const [name, head] of [
      ['the verify fast path', 'POST /v1/keys/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n'],
      ['a Fastify route', 'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n'],
    ] as const) {
      it(`a client that sends headers and half a body to ${name} and stalls is answered 408 and closed`, async () => {
        const socket = await open(port);
        const closed = untilClosed(socket);
        socket.write(`${head}{"key":"kw_`);
        const res = await closed;
        // The request timeout fires while the handler waits for the body: answered if nothing was sent yet.
        expect(res.status).toBe(408);
        expectEnvelope(res.json, 'REQUEST_TIMEOUT');
      });
    }

    it('an idle keep-alive connection is closed after the keep-alive timeout, once its request was answered', async () => {
      const socket = await open(port);
      const closed = untilClosed(socket);
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      const res = await closed;
      expect(res.status).toBe(200);
      expect(res.headers.connection).toBe('keep-alive');
    });

    it('still serves after all of the above', async () => {
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    });
  });
}

describe('connection cap', () => {
  let h: Harness;
  let port: number;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    h = await createHarness(sqlite, { http: { ...FAST, headersTimeoutMs: 20_000, requestTimeoutMs: 20_000, maxConnections: 5 } });
    port = Number(new URL(await h.kw.app.listen({ host: '127.0.0.1', port: 0 })).port);
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await h?.close();
  });

  const openConnections = () =>
    new Promise<number>((resolve, reject) => h.kw.app.server.getConnections((e, n) => (e ? reject(e) : resolve(n))));

  it('beyond the cap new connections are closed at once, while the open ones are served', async () => {
    for (let i = 0; i < 5; i++) sockets.push(await open(port));
    // Wait (bounded) until the server has accepted all five, so the next one is the sixth.
    for (let i = 0; i < 200 && (await openConnections()) < 5; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await openConnections()).toBe(5);

    const extra = await open(port).catch(() => undefined);
    if (extra) {
      const refused = await untilClosed(extra, 5000);
      expect(refused.raw).toBe('');
    }
    expect(await openConnections()).toBe(5);

    const first = sockets.shift() as Socket;
    const closed = untilClosed(first);
    first.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const served = await closed;
    expect(served.status).toBe(200);
    // A slot is free again: a new connection is served.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { connection: 'close' } })).status).toBe(200);
  });
});
