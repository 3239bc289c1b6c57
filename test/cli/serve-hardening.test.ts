import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TSX = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx');
const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const OPERATOR = { email: 'ops@serve.test', password: 'operator-password-1' };

/** `keyward serve` as an operator runs it: its own process, its own logger on stdout. */
describe('keyward serve under hostile requests (SQLite)', () => {
  let dir: string;
  let child: ChildProcess;
  let out = '';
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyward-serve-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KEYWARD_DATA_DIR: dir,
      KEYWARD_LOG_LEVEL: 'info',
      KEYWARD_BOOTSTRAP_EMAIL: OPERATOR.email,
      KEYWARD_BOOTSTRAP_PASSWORD: OPERATOR.password,
    };
    delete env.KEYWARD_DATABASE_URL;
    delete env.KEYWARD_REDIS_URL;
    child = spawn(TSX, [CLI, 'serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 60_000);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Keyward listening on (http:\/\/\S+)/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${out}`)));
    });
  }, 90_000);
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('regression: the 10 KB body of 5,000 nested arrays with "constructor":1 does not end the process', async () => {
    const body = `{"constructor":1,"a":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const res = await fetch(`${base}/v1/keys/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe('VALIDATION_FAILED');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(child.exitCode).toBeNull();
  });

  it('regression: a key sent in the query string or the Authorization header is not in the log; the path is', async () => {
    const op = (await call('POST', '/v1/auth/login', OPERATOR)).body.token as string;
    const acc = await call(
      'POST',
      '/v1/accounts',
      { name: 'Serve', admin: { email: 'a@serve.test', name: 'A', password: 'admin-password-1' } },
      op,
    );
    const admin = (await call('POST', '/v1/auth/login', { email: 'a@serve.test', password: 'admin-password-1' })).body.token as string;
    const app = await call('POST', `/v1/accounts/${acc.body.account.id}/applications`, { name: 'App' }, admin);
    const created = await call(
      'POST',
      `/v1/accounts/${acc.body.account.id}/applications/${app.body.id}/keys`,
      { name: 'K', scopes: [] },
      admin,
    );
    const key = created.body.key as string;
    expect(key).toMatch(/^kw_/);
    const logged = out.length;
    await fetch(`${base}/healthz?api_key=${key}`);
    await fetch(`${base}/v1/me?key=${key}`, { headers: { authorization: `Bearer ${key}` } });
    await fetch(`${base}/v1/keys/verify?key=${key}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    // The child writes its log to a pipe that this process reads asynchronously: an answer can
    // arrive before the lines about it, so wait (bounded) until the last request's line is in.
    const deadline = Date.now() + 10_000;
    while (!out.slice(logged).includes('"/v1/keys/verify?[redacted]"') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const lines = out.slice(logged);
    expect(lines).toContain('"/v1/keys/verify?[redacted]"');
    expect(lines).toContain('"/healthz?[redacted]"');
    expect(lines).toContain('"/v1/me?[redacted]"');
    expect(lines).not.toContain(key);
    expect(lines).not.toContain(op);
    expect(lines).not.toContain(admin);
    expect(out).not.toContain(key);
  });
});
