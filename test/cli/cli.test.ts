import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const TSX = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx');
const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

/** The README's path from an empty machine to a verified key, through the real CLI and server. */
describe('keyward CLI and server (SQLite, as the README describes)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let server: ChildProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'keyward-cli-'));
    env = { ...process.env, KEYWARD_DATA_DIR: dir, KEYWARD_DATABASE_URL: '', KEYWARD_LOG_LEVEL: 'warn' };
    delete env.KEYWARD_DATABASE_URL;
  });
  afterAll(() => {
    server?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (...args: string[]) => {
    const { stdout, stderr } = await run(TSX, [CLI, ...args], { env });
    return { json: stdout.trim().startsWith('{') ? JSON.parse(stdout) : undefined, stdout, stderr };
  };

  it('migrate, then create account, user, application and key from the command line', { timeout: 180_000 }, async () => {
    expect((await cli('migrate')).stdout).toMatch(/Applied: 0001-initial|Already up to date/);
    expect((await cli('migrate')).stdout).toContain('Already up to date');
    const acc = await cli(
      'account',
      'create',
      '--name',
      'Acme',
      '--admin-email',
      'admin@acme.test',
      '--admin-password',
      'admin-password-1',
    );
    expect(acc.stderr).toMatch(/Operator created: operator@keyward.local, generated password \(shown once\): [0-9A-Za-z]{24}/);
    expect(acc.json.accountId).toMatch(/^acc_/);
    const user = await cli(
      'user',
      'create',
      '--account',
      acc.json.accountId,
      '--as',
      'admin@acme.test',
      '--email',
      'dev@acme.test',
      '--password',
      'dev-password-1',
      '--permissions',
      'applications.create,keys.create.mine',
      '--scopes',
      'device:read',
    );
    expect(user.json.userId).toMatch(/^usr_/);
    const app = await cli('app', 'create', '--account', acc.json.accountId, '--as', 'dev@acme.test', '--name', 'Integration');
    const key = await cli(
      'key',
      'create',
      '--account',
      acc.json.accountId,
      '--application',
      app.json.applicationId,
      '--as',
      'dev@acme.test',
      '--name',
      'CI',
      '--scopes',
      'device:read',
    );
    expect(key.json.key).toMatch(/^kw_/);
    await expect(
      cli(
        'key',
        'create',
        '--account',
        acc.json.accountId,
        '--application',
        app.json.applicationId,
        '--as',
        'dev@acme.test',
        '--name',
        'x',
        '--scopes',
        'device:fuota',
      ),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('error SCOPE_NOT_GRANTABLE') });

    // Regression (issue 13): every CLI command loaded the master key, so the first one created
    // master.key. None of these seals or opens a secret: the key is the server's business.
    expect(existsSync(join(dir, 'master.key'))).toBe(false);

    // Start the server on the same data directory and verify the key over HTTP.
    server = spawn(TSX, [CLI, 'serve', '--port', '0'], { env: { ...env, KEYWARD_PORT: '0' } });
    const address = await new Promise<string>((resolve, reject) => {
      let out = '';
      server?.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/[^\s]+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      server?.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
    });
    const res = await fetch(`${address}/v1/keys/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: key.json.key, scopes: ['device:read'] }),
    });
    expect(await res.json()).toMatchObject({ valid: true, code: 'VALID', keyId: key.json.keyId, accountId: acc.json.accountId });
    // A server start does load (here: generate) it, before it serves.
    expect(existsSync(join(dir, 'master.key'))).toBe(true);
  });
});
