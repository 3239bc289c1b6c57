import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createKeyward, type Keyward } from '../../src/server.js';
import { DIALECTS, OPERATOR } from '../harness.js';
import { rawExchange } from '../raw-http.js';

/** Every line the server logs, as written. */
class LogCapture extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void) {
    this.lines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  }
  get text() {
    return this.lines.join('\n');
  }
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`logs never hold query strings or credential headers [${dialect.name}]`, () => {
    let kw: Keyward;
    let drop: () => Promise<void>;
    let dataDir: string;
    const log = new LogCapture();
    let base: string;
    let port: number;
    let key: string;
    let token: string;

    const api = async (method: string, path: string, auth?: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { ...(auth && { authorization: `Bearer ${auth}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as any };
    };

    beforeAll(async () => {
      const db = await dialect.create();
      drop = db.drop;
      dataDir = mkdtempSync(join(tmpdir(), 'keyward-data-'));
      const config = loadConfig({}, { databaseUrl: db.url, dataDir, bootstrapEmail: OPERATOR.email, bootstrapPassword: OPERATOR.password });
      kw = await createKeyward(config, { logger: { level: 'trace', stream: log } });
      base = await kw.app.listen({ host: '127.0.0.1', port: 0 });
      port = Number(new URL(base).port);
      const op = (await api('POST', '/v1/auth/login', undefined, OPERATOR)).body.token as string;
      const acc = await api('POST', '/v1/accounts', op, {
        name: 'Logs',
        admin: { email: `logs-${dialect.name}@test.local`, name: 'A', password: 'admin-password-1' },
      });
      token = (await api('POST', '/v1/auth/login', undefined, { email: `logs-${dialect.name}@test.local`, password: 'admin-password-1' }))
        .body.token;
      const app = await api('POST', `/v1/accounts/${acc.body.account.id}/applications`, token, { name: 'App' });
      key = (await api('POST', `/v1/accounts/${acc.body.account.id}/applications/${app.body.id}/keys`, token, { name: 'K', scopes: [] }))
        .body.key;
    });
    afterAll(async () => {
      await kw?.close();
      await drop?.();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('regression: a key in the query, in Authorization or in X-Original-URI never reaches the log; the path does', async () => {
      expect(key).toMatch(/^kw_/);
      const before = log.lines.length;
      await fetch(`${base}/healthz?api_key=${key}`);
      await fetch(`${base}/v1/me?key=${key}&other=1`, { headers: { authorization: `Bearer ${token}` } });
      await fetch(`${base}/v1/nothing-here?${key}`, { headers: { authorization: key } });
      // A query makes the authorize fast path decline too (it writes no request log lines): Fastify logs this one.
      await fetch(`${base}/v1/authorize?via=fastify`, {
        headers: { authorization: `Bearer ${key}`, 'x-original-uri': `/status?key=${key}`, 'x-original-method': 'GET' },
      });
      // A query makes the fast path decline: Fastify answers and logs it.
      await fetch(`${base}/v1/keys/verify?key=${key}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      // Fastify's own errors (bad percent-encoding) and node's (a malformed request line).
      await fetch(`${base}/v1/accounts/%E0%A4%A?key=${key}`, { headers: { cookie: `session=${token}`, 'x-api-key': key } });
      await rawExchange(port, `GET /v1/me?key=${key} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nBad Header\r\n\r\n`);
      const lines = log.lines.slice(before);
      const text = lines.join('\n');
      expect(lines.length).toBeGreaterThan(10);
      for (const secret of [key, key.slice(3), token]) expect(text).not.toContain(secret);
      const urls = lines.map((l) => JSON.parse(l).req?.url).filter(Boolean);
      expect(urls).toContain('/healthz?[redacted]');
      expect(urls).toContain('/v1/me?[redacted]');
      expect(urls).toContain('/v1/authorize?[redacted]');
    });

    it('request lines carry requestId, and once known accountId and keyId (issue #11): ids, never the key', async () => {
      const me = await api('GET', '/v1/me', token);
      const accountId = me.body.accountId ?? me.body.user?.accountId;
      const before = log.lines.length;
      const verified = await fetch(`${base}/v1/keys/verify?via=fastify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key }),
      });
      const { keyId } = (await verified.json()) as { keyId: string };
      await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      const lines = log.lines.slice(before).map((l) => JSON.parse(l));
      const completed = lines.filter((l) => l.msg === 'request completed');
      expect(completed.length).toBe(2);
      for (const l of lines) expect(l.requestId).toMatch(/^req_[0-9A-Za-z]{16}$/);
      const verify = completed.find((l) => l.requestId === verified.headers.get('x-request-id'));
      expect(verify).toMatchObject({ keyId, accountId });
      expect(completed.find((l) => l !== verify)).toMatchObject({ accountId });
      expect(JSON.stringify(lines)).not.toContain(key);
    });
  });
}
