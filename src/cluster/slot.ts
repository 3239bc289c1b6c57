/** Set by the primary in each worker's environment: the worker's number, 1..N (src/cluster/supervisor.ts). */
export const SLOT_ENV = 'KEYWARD_WORKER_SLOT';
