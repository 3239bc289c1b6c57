import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithKey, createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';
import { type Seen, startUpstream } from './upstream.js';

/** nginx from the Debian package (scripts/ci-services.sh installs it); the suite skips visibly without it. */
const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find(existsSync) ?? (spawnSync('nginx', ['-v']).error ? undefined : 'nginx');

const EXAMPLE = join(import.meta.dirname, '../../examples/nginx.conf');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${port}: ${log()}`);
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled || !NGINX)(`nginx auth_request in front of an API [${dialect.name}]`, () => {
    let h: Harness;
    let upstream: Awaited<ReturnType<typeof startUpstream>>;
    let nginx: ChildProcess;
    let dir: string;
    let base: string;
    let t: Tenant;
    let stderr = '';

    beforeAll(async () => {
      upstream = await startUpstream();
      h = await createHarness(dialect);
      const keyward = new URL(await h.kw.app.listen({ host: '127.0.0.1', port: 0 }));
      const port = await freePort();
      dir = mkdtempSync(join(tmpdir(), 'keyward-nginx-'));
      // Workers drop to an unprivileged user when nginx runs as root: they must reach the prefix.
      chmodSync(dir, 0o755);
      const conf = readFileSync(EXAMPLE, 'utf8')
        .replaceAll('127.0.0.1:8000', `127.0.0.1:${port}`)
        .replaceAll('127.0.0.1:8080', `127.0.0.1:${keyward.port}`)
        .replaceAll('127.0.0.1:9000', `127.0.0.1:${upstream.port}`);
      writeFileSync(join(dir, 'nginx.conf'), conf);
      nginx = spawn(NGINX as string, ['-p', dir, '-e', 'stderr', '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      nginx.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      await waitForPort(port, nginx, () => stderr);
      base = `http://127.0.0.1:${port}`;
      t = await h.tenant();
    });

    afterAll(async () => {
      if (nginx && nginx.exitCode === null) {
        const exited = new Promise((resolve) => nginx.once('exit', resolve));
        nginx.kill('SIGQUIT');
        await exited;
      }
      await h?.close();
      await upstream?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('a key with the right scope reaches the upstream, with identity headers and without the key', async () => {
      const k = await appWithKey(h, t, t.adminToken, ['device:full-access']);
      const before = upstream.seen.length;
      const res = await fetch(`${base}/integration/device/sendmsg?eui=0011`, {
        method: 'POST',
        headers: { authorization: `Bearer ${k.key}`, 'content-type': 'application/json', 'x-keyward-account-id': 'acc_spoofed' },
        body: JSON.stringify({ payload: 'AQID' }),
      });
      expect(res.status, stderr).toBe(201);
      expect(res.headers.get('x-upstream')).toBe('yes');
      const got = upstream.seen[before] as Seen;
      expect(got.method).toBe('POST');
      expect(got.url).toBe('/integration/device/sendmsg?eui=0011');
      expect(got.bodyLength).toBe(JSON.stringify({ payload: 'AQID' }).length);
      expect(got.headers.authorization).toBeUndefined();
      expect(got.headers['x-keyward-account-id']).toBe(t.accountId);
      expect(got.headers['x-keyward-customer-id']).toBe(t.customerId);
      expect(got.headers['x-keyward-key-id']).toBe(k.keyId);
      expect(got.headers['x-keyward-application-id']).toBe(k.applicationId);
      expect(got.headers['x-keyward-key-kind']).toBe('application');
    });

    it('the Senet-style raw Authorization header works through nginx too', async () => {
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      expect((await fetch(`${base}/integration/device/csvExport`, { headers: { authorization: k.key } })).status).toBe(201);
    });

    it('a customer key reaches billing; its empty application id is not passed on', async () => {
      const r = await h.call('POST', `/v1/accounts/${t.accountId}/keys`, {
        token: t.adminToken,
        body: { kind: 'customer', name: 'Billing', scopes: ['billing:access'] },
      });
      const before = upstream.seen.length;
      const res = await fetch(`${base}/integration/usage/details`, {
        headers: { authorization: `Bearer ${r.body.key}`, 'x-keyward-application-id': 'app_spoofed' },
      });
      expect(res.status).toBe(201);
      const got = upstream.seen[before] as Seen;
      expect(got.headers['x-keyward-key-kind']).toBe('customer');
      expect(got.headers['x-keyward-application-id']).toBeUndefined();
    });

    it('wrong scope -> 403, revoked key -> 401, no key -> 401; the upstream is never reached', async () => {
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const before = upstream.seen.length;
      expect(
        (await fetch(`${base}/integration/device/sendmsg`, { method: 'POST', headers: { authorization: `Bearer ${k.key}` } })).status,
      ).toBe(403);
      expect(
        (await fetch(`${base}/integration/device/csvExport/../sendmsg`, { headers: { authorization: `Bearer ${k.key}` } })).status,
      ).toBe(403);
      expect((await fetch(`${base}/integration/device/csvExport`)).status).toBe(401);
      await h.call('POST', `/v1/accounts/${t.accountId}/keys/${k.keyId}/revoke`, { token: t.adminToken });
      expect((await fetch(`${base}/integration/device/csvExport`, { headers: { authorization: `Bearer ${k.key}` } })).status).toBe(401);
      expect(upstream.seen.length).toBe(before);
    });
  });
}
