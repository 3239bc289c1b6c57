import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { humanLine } from '../../src/cli/human-log.js';

const TSX = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx');
const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

/** Starts `keyward serve` on a free port and resolves once its banner is out, with everything it printed. */
async function serve(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; base: string; output: () => string; stop(): Promise<void> }> {
  const child = spawn(TSX, [CLI, 'serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Keyward listening on (http:\/\/\S+)[\s\S]*Operator {3}\S+/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${out}`)));
  });
  return {
    child,
    base,
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('the first ten minutes of keyward serve (SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-first-run-'));
  const base: NodeJS.ProcessEnv = { ...process.env, KEYWARD_DATA_DIR: dir, KEYWARD_LOG_FORMAT: 'human', KEYWARD_LOG_LEVEL: 'info' };
  for (const name of ['KEYWARD_DATABASE_URL', 'KEYWARD_REDIS_URL', 'KEYWARD_BOOTSTRAP_EMAIL', 'KEYWARD_BOOTSTRAP_PASSWORD'])
    delete base[name];
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a banner with the URL, dashboard, data dir and operator, and no per-request lines in the human format', async () => {
    const s = await serve({ ...base, KEYWARD_BOOTSTRAP_EMAIL: 'ops@first.test', KEYWARD_BOOTSTRAP_PASSWORD: 'first-run-password' });
    try {
      for (let i = 0; i < 5; i++) expect((await fetch(`${s.base}/healthz`)).status).toBe(200);
      const login = await fetch(`${s.base}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ops@first.test', password: 'first-run-password' }),
      });
      expect(login.status).toBe(200);
      const out = s.output();
      expect(out).toContain('Operator created: ops@first.test (password from KEYWARD_BOOTSTRAP_PASSWORD)');
      expect(out).toMatch(/Dashboard {2}http:\/\/127\.0\.0\.1:\d+\//);
      expect(out).toContain(`(data dir ${dir})`);
      expect(out).toMatch(/Operator {3}ops@first\.test/);
      // Quiet: no JSON lines, no line per request.
      expect(out).not.toMatch(/^\{"level"/m);
      expect(out).not.toMatch(/incoming request|request completed|\/healthz/);
    } finally {
      await s.stop();
    }
  }, 90_000);

  it('warns loudly at start when bootstrap settings are given but the store already has another operator password', async () => {
    const s = await serve({ ...base, KEYWARD_BOOTSTRAP_EMAIL: 'ops@first.test', KEYWARD_BOOTSTRAP_PASSWORD: 'some-other-password' });
    try {
      const out = s.output();
      expect(out).toMatch(/WARNING: KEYWARD_BOOTSTRAP_EMAIL\/KEYWARD_BOOTSTRAP_PASSWORD are IGNORED/);
      expect(out).toContain("KEYWARD_BOOTSTRAP_PASSWORD is not ops@first.test's password");
      expect(out).toContain(`delete the data (${dir})`);
      expect(out).not.toContain('some-other-password');
    } finally {
      await s.stop();
    }
  }, 90_000);

  it('says nothing when the settings describe the existing operator', async () => {
    const s = await serve({ ...base, KEYWARD_BOOTSTRAP_EMAIL: 'ops@first.test', KEYWARD_BOOTSTRAP_PASSWORD: 'first-run-password' });
    try {
      expect(s.output()).not.toContain('IGNORED');
      expect(s.output()).not.toContain('Operator created');
    } finally {
      await s.stop();
    }
  }, 90_000);
});

describe('human log lines', () => {
  it('turn pino JSON into time, level, message and fields, errors by their message, and pass other text through', () => {
    const line = humanLine(
      JSON.stringify({
        level: 40,
        time: Date.UTC(2026, 0, 1, 12, 0, 1),
        pid: 1,
        hostname: 'h',
        msg: 'Redis unavailable',
        err: { message: 'ECONNREFUSED', stack: 'x' },
        node: 'a',
      }),
    );
    expect(line).toBe('12:00:01 WARN  Redis unavailable (ECONNREFUSED) node=a');
    expect(humanLine('not json')).toBe('not json');
  });
});
