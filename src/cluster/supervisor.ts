import cluster, { type Worker } from 'node:cluster';
import type { PrimaryChannel } from './channel.js';
import { SLOT_ENV } from './slot.js';

/** What the primary reports: pino-shaped, so the CLI prints it like the workers' lines. */
export interface SupervisorLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SupervisorOptions {
  workers: number;
  /** Environment of each worker beyond the primary's own (the worker's number is added as KEYWARD_WORKER_SLOT). */
  env?: Record<string, string>;
  channel: PrimaryChannel;
  log: SupervisorLog;
  /** How long workers may drain on shutdown before the primary kills them (their own bound plus a margin). */
  killAfterMs: number;
  /** A crash loop: this many unexpected deaths within `windowMs` make the primary give up (exit non-zero). */
  crashLoop?: { deaths: number; windowMs: number };
  /** Restart delay after the n-th death within the window: `baseMs * 2^(n-1)`, at most `maxMs`. */
  backoff?: { baseMs: number; maxMs: number };
}

export interface Supervisor {
  /** Resolves with the address once every worker listens the first time; rejects if the supervisor ends first. */
  listening: Promise<string>;
  /** Resolves with the primary's exit code: 0 after a clean shutdown, 1 after a crash loop or a forced kill. */
  done: Promise<number>;
  /** Asks every worker to drain and stop (SIGTERM/SIGINT to the primary). */
  stop(reason: string): void;
}

/** Messages the primary sends a worker outside the channel. */
export const STOP_MESSAGE = { 'keyward:supervisor': 'stop' } as const;

/**
 * Forks `workers` processes (each runs this same program and serves on the shared port),
 * restarts one that dies with exponential backoff, gives up on a crash loop, and on `stop`
 * lets each drain: the primary keeps answering the channel until the last worker has exited.
 * Each worker keeps its number (1..N) across restarts, so logs and /readyz stay readable.
 */
export function supervise(opts: SupervisorOptions): Supervisor {
  const { log, channel } = opts;
  const loop = opts.crashLoop ?? { deaths: 5, windowMs: 30_000 };
  const backoff = opts.backoff ?? { baseMs: 100, maxMs: 5_000 };
  const live = new Map<number, Worker>();
  const everListened = new Set<number>();
  let deaths: number[] = [];
  let stopping = false;
  let failed = false;
  let killTimer: NodeJS.Timeout | undefined;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  let resolveListening!: (address: string) => void;
  let rejectListening!: (e: Error) => void;
  const listening = new Promise<string>((res, rej) => {
    resolveListening = res;
    rejectListening = rej;
  });
  listening.catch(() => {});

  const fork = (slot: number) => {
    const worker = cluster.fork({ ...opts.env, [SLOT_ENV]: String(slot) });
    live.set(slot, worker);
    const detach = channel.attach(worker, slot);
    log.info({ worker: slot, workerPid: worker.process.pid }, `worker ${slot} started (pid ${worker.process.pid})`);
    // A message sent to a worker that has just died fails asynchronously, as an 'error' on the
    // worker: without a listener that would throw in the primary and take every worker down.
    worker.on('error', (err) => log.warn({ worker: slot, err: { message: err.message } }, `worker ${slot}: IPC error (${err.message})`));
    worker.on('listening', (address: { address: string | null; port: number; addressType: number | string }) => {
      if (everListened.has(slot)) return;
      everListened.add(slot);
      if (everListened.size === opts.workers) {
        const host = address.addressType === 6 || address.addressType === 'udp6' ? `[${address.address}]` : address.address;
        resolveListening(`http://${host ?? '127.0.0.1'}:${address.port}`);
      }
    });
    worker.on('exit', (code, signal) => {
      detach();
      live.delete(slot);
      if (stopping) {
        if (code !== 0) failed = true;
        log.info({ worker: slot, code, signal }, `worker ${slot} stopped`);
        if (live.size === 0) finish();
        return;
      }
      const now = Date.now();
      deaths = [...deaths.filter((t) => now - t < loop.windowMs), now];
      if (deaths.length >= loop.deaths) {
        log.error(
          { worker: slot, code, signal, deaths: deaths.length, windowMs: loop.windowMs },
          `worker ${slot} died (${signal ?? `code ${code}`}): ${deaths.length} deaths within ${loop.windowMs / 1000} s, a crash loop: stopping`,
        );
        failed = true;
        stop('crash loop');
        return;
      }
      const delay = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (deaths.length - 1));
      log.warn(
        { worker: slot, code, signal, restartInMs: delay },
        `worker ${slot} died (${signal ?? `code ${code}`}): restarting in ${delay} ms`,
      );
      setTimeout(() => {
        if (!stopping) fork(slot);
      }, delay);
    });
  };

  const finish = () => {
    clearTimeout(killTimer);
    rejectListening(new Error('the workers stopped before all were listening'));
    resolveDone(failed ? 1 : 0);
  };

  function stop(reason: string): void {
    if (stopping) return;
    stopping = true;
    log.info({ reason, workers: live.size }, `stopping: ${reason}; workers drain in-flight requests`);
    if (live.size === 0) {
      finish();
      return;
    }
    for (const w of live.values()) {
      try {
        w.send(STOP_MESSAGE);
      } catch {
        w.process.kill('SIGTERM');
      }
    }
    killTimer = setTimeout(() => {
      failed = true;
      for (const [slot, w] of live) {
        log.error({ worker: slot }, `worker ${slot} did not stop in time: killing it`);
        w.process.kill('SIGKILL');
      }
    }, opts.killAfterMs);
    killTimer.unref();
  }

  for (let slot = 1; slot <= opts.workers; slot++) fork(slot);
  return { listening, done, stop };
}
