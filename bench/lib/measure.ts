import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ask, type Started } from './child.js';
import type { LoadResult, LoadSpec } from './types.js';
import { runLoad } from './wrk.js';

/** CPU time the server process spent per request during one load: robust on a shared machine. */
export async function loadWithCpu(s: Started, l: LoadSpec): Promise<{ load: LoadResult; cpuUsPerRequest: number }> {
  const before = await ask<NodeJS.CpuUsage>(s, 'cpu');
  const load = await runLoad(l);
  const after = await ask<NodeJS.CpuUsage>(s, 'cpu');
  const cpu = after.user - before.user + (after.system - before.system);
  return { load, cpuUsPerRequest: load.totalRequests > 0 ? cpu / load.totalRequests : 0 };
}

export const median = <T>(xs: T[], by: (x: T) => number): T => [...xs].sort((a, b) => by(a) - by(b))[Math.floor(xs.length / 2)] as T;

/** Installs the peer (better-auth, bench/peer) from its lock file when it is not there yet. */
export function ensurePeerInstalled(log: (s: string) => void): void {
  const peer = fileURLToPath(new URL('../peer', import.meta.url));
  if (existsSync(join(peer, 'node_modules', 'better-auth'))) return;
  log('installing the peer (better-auth) in bench/peer ...');
  execSync('npm ci --no-audit --no-fund', { cwd: peer, stdio: 'inherit' });
}
