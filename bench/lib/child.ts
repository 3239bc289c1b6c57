import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadResult, LoadSpec, Ready } from './types.js';

const TSX = ['--import', 'tsx'];

export interface Started {
  child: ChildProcess;
  ready: Ready;
  /** Milliseconds from fork() to the ready message. */
  startMs: number;
}

/** Forks a target server and waits for its ready message. */
export function startTarget(modulePath: string, env: Record<string, string> = {}, opts: { tsx?: boolean } = {}): Promise<Started> {
  const t0 = performance.now();
  const child = fork(modulePath, [], {
    execArgv: opts.tsx === false ? [] : TSX,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, ready: m as Ready, startMs: performance.now() - t0 }));
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

/** Runs one load in a separate process (see loader.ts). */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const child = fork(fileURLToPath(new URL('./loader.ts', import.meta.url)), [], {
    execArgv: TSX,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('exit', (code) => code !== 0 && reject(new Error(`loader exited with ${code}`)));
    child.send(spec);
  });
}
