import cluster from 'node:cluster';
import { WorkerChannel } from './channel.js';
import { SLOT_ENV } from './slot.js';
import { STOP_MESSAGE } from './supervisor.js';

/** This process, when it is a worker the supervisor forked: its number and its channel to the primary. */
export interface WorkerSide {
  slot: number;
  channel: WorkerChannel;
  /**
   * Calls `stop` once, when the primary asks this worker to stop or when the primary is gone
   * (the IPC pipe closed: a worker never outlives its primary).
   */
  onStop(stop: (reason: string) => void): void;
}

export function workerSide(): WorkerSide | undefined {
  const raw = process.env[SLOT_ENV];
  if (raw === undefined || !cluster.isWorker || process.send === undefined) return undefined;
  const slot = Number(raw);
  const channel = new WorkerChannel(process as unknown as ConstructorParameters<typeof WorkerChannel>[0]);
  return {
    slot,
    channel,
    onStop(stop) {
      let stopped = false;
      const once = (reason: string) => {
        if (stopped) return;
        stopped = true;
        stop(reason);
      };
      process.on('message', (m: unknown) => {
        if (
          typeof m === 'object' &&
          m !== null &&
          (m as Record<string, unknown>)['keyward:supervisor'] === STOP_MESSAGE['keyward:supervisor']
        ) {
          once('the primary asked to stop');
        }
      });
      process.once('disconnect', () => once('the primary is gone'));
    },
  };
}
