import { type ChildProcess, fork } from 'node:child_process';
import type { Ready } from './types.js';
import { pinServer } from './wrk.js';

const TSX = ['--import', 'tsx'];
/** Extra node flags for every target, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (not allowed in NODE_OPTIONS). */
const EXTRA = (process.env.BENCH_TARGET_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

export interface Started {
  child: ChildProcess;
  ready: Ready;
  /** Milliseconds from fork() to the ready message. */
  startMs: number;
}

/** Forks a target server, waits for its ready message and pins it to the servers' CPU. */
export function startTarget(modulePath: string, env: Record<string, string> = {}, opts: { tsx?: boolean } = {}): Promise<Started> {
  const t0 = performance.now();
  const child = fork(modulePath, [], {
    execArgv: [...(opts.tsx === false ? [] : TSX), ...EXTRA],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => {
      const startMs = performance.now() - t0;
      try {
        pinServer(child.pid);
      } catch {
        // A target that exits right after reporting (the seeding run) cannot be pinned: nothing to load.
      }
      resolve({ child, ready: m as Ready, startMs });
    });
    child.once('exit', (code) => reject(new Error(`${modulePath} exited with ${code} before it was ready`)));
  });
}

export async function stopTarget(s: Started): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

/** Asks a running target something over IPC (e.g. its memory use). */
export function ask<T>(s: Started, question: string, extra: Record<string, unknown> = {}): Promise<T> {
  return new Promise((resolve) => {
    s.child.once('message', (m) => resolve(m as T));
    s.child.send({ ask: question, ...extra });
  });
}
