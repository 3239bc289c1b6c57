import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** nginx from the Debian package (scripts/ci-services.sh installs it); suites skip visibly without it. */
export const NGINX: string | undefined =
  ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find(existsSync) ?? (spawnSync('nginx', ['-v']).error ? undefined : 'nginx');

export const EXAMPLE = join(import.meta.dirname, '../../examples/nginx.conf');

export async function freePort(): Promise<number> {
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

export interface RunningNginx {
  base: string;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Runs examples/nginx.conf as shipped, its example addresses replaced by the callers' port
 * (a free one), Keyward's and the API's, in a fresh prefix directory.
 */
export async function startExampleNginx(ports: { keyward: number; api: number }): Promise<RunningNginx> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'keyward-nginx-'));
  // Workers drop to an unprivileged user when nginx runs as root: they must reach the prefix.
  chmodSync(dir, 0o755);
  const conf = readFileSync(EXAMPLE, 'utf8')
    .replaceAll('127.0.0.1:8000', `127.0.0.1:${port}`)
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${ports.keyward}`)
    .replaceAll('127.0.0.1:9000', `127.0.0.1:${ports.api}`);
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn(NGINX as string, ['-p', dir, '-e', 'stderr', '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGQUIT');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, () => stderr);
  } catch (e) {
    await stop();
    throw e;
  }
  return { base: `http://127.0.0.1:${port}`, stderr: () => stderr, stop };
}
