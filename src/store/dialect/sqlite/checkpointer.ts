import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the worker checkpoints; the WAL holds at most about this much time of writes. */
export const CHECKPOINT_INTERVAL_MS = 200;
/**
 * The writing connection's own automatic checkpoint, in pages (4 KB): a fallback only, far above
 * what one interval writes, so the WAL stays bounded if the worker cannot keep up or is gone.
 */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 16_384;

export interface CheckpointResult {
  /** 1 when another checkpoint or a writer was in the way (tried again next interval). */
  busy: number;
  /** Frames in the WAL, and how many of them are now in the database file. */
  log: number;
  checkpointed: number;
}

/*
 * The worker's code, run as CommonJS from a string so it needs no file of its own (the sources
 * run both under tsx and compiled). It opens its own connection to the file and runs a PASSIVE
 * checkpoint every interval: it never blocks a reader or the writer, and gives up (busy) rather
 * than wait.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const timer = setInterval(() => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    if (r.log > 0) parentPort.postMessage({ busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  } catch (e) {
    parentPort.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints a SQLite file in WAL mode from a worker thread, off the event loop.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that crosses its threshold (1000 pages by
 * default), synchronously on the thread that committed: it copies the WAL back into the database
 * file and, with `synchronous = NORMAL`, fsyncs the WAL before and the database after. With many
 * distinct keys in use (issue #15) the usage flush dirties thousands of random pages a second, so
 * that commit held every request for 30–70 ms. The writing connection keeps an automatic
 * checkpoint only as a fallback (`FALLBACK_AUTOCHECKPOINT_PAGES`); this worker does the work.
 * Durability is unchanged: a commit is durable as before (WAL), a checkpoint only moves pages.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  /** Checkpoints that found frames in the WAL, and the last result (for tests and diagnostics). */
  runs = 0;
  last: CheckpointResult | undefined;

  constructor(path: string, onError: (error: unknown) => void, intervalMs = CHECKPOINT_INTERVAL_MS) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, intervalMs } });
    this.worker.unref();
    // A failing checkpoint is reported once per streak, not every interval.
    let failing = false;
    this.worker.on('message', (m: CheckpointResult | { error: string }) => {
      if ('error' in m) {
        if (!failing) onError(new Error(`WAL checkpoint failed: ${m.error}`));
        failing = true;
        return;
      }
      failing = false;
      this.runs++;
      this.last = m;
    });
    this.worker.on('error', onError);
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  /** Stops the timer and closes the worker's connection (before the last connection closes the file). */
  async close(): Promise<void> {
    // Referenced again so the event loop waits for the worker's exit (an unreferenced worker
    // does not keep a process alive, and a top-level await of close() would be left unsettled).
    this.worker.ref();
    this.worker.postMessage('close');
    await this.exited;
  }
}
