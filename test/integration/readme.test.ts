import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** The shell block that follows `<!-- name -->` in README.md. */
function readmeBlock(readme: string, name: string): string {
  const marker = `<!-- ${name} -->`;
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no ${marker}`);
  const m = /```sh\n([\s\S]*?)\n```/.exec(readme.slice(at));
  if (!m?.[1]) throw new Error(`README.md has no sh block after ${marker}`);
  return m[1];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * The README's walkthrough and its Devices block, pasted into bash as a new user would, against a
 * fresh `npm start` on SQLite: the README cannot drift from the product without this failing.
 */
describe('README walkthrough, run as written', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyward-readme-'));
  let pgid: number | undefined;

  afterAll(() => {
    if (pgid !== undefined) {
      try {
        process.kill(-pgid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('goes from nothing to a verified, then revoked key, and a verified device signature', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const script = `${readmeBlock(readme, 'walkthrough')}\n${readmeBlock(readme, 'devices')}\n`;
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, KEYWARD_PORT: String(port), KEYWARD_DATA_DIR: dataDir, KEYWARD_LOG_LEVEL: 'warn' };
    for (const name of Object.keys(env)) if (name.startsWith('KEYWARD_') && name.endsWith('_URL')) delete env[name];
    // bash -e: any failing step (curl -f, jq -e) fails the run, as the README's comments promise.
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    pgid = child.pid;
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, `walkthrough failed:\n--- stdout\n${out}\n--- stderr\n${err}`).toBe(0);
    const answers = out
      .split('\n')
      .filter((l) => l.startsWith('{"valid"'))
      .map((l) => JSON.parse(l));
    expect(answers.map((a) => a.code)).toEqual(['VALID', 'REVOKED', 'VALID']);
    expect(answers[0]).toMatchObject({ valid: true, kind: 'application', scopes: ['device:onboarding'] });
    expect(answers[2]).toMatchObject({ valid: true, deviceId: expect.stringMatching(/^dev_/) });
    // No secret printed along the way: the device secret stays in a shell variable.
    expect(out).not.toMatch(/[0-9a-f]{128}/);
  }, 180_000);
});
