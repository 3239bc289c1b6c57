import type { ReplayGuard } from './replay-cache.js';
import type { BackoffPolicy, ThrottleStore } from './throttle-store.js';

/**
 * The replay guard and sign-in throttle of `keyward serve --workers N` without Redis: the
 * primary process holds the one in-memory guard and throttle store of the machine, and every
 * worker asks it over the cluster channel (src/cluster/channel.ts). So a signed request is
 * accepted once on the whole machine, and sign-in attempts count across workers, exactly as
 * with one process. Each store answer is one round trip to the primary (tens of
 * microseconds, batched with whatever else the worker asks in the same turn).
 *
 * `RemoteCaller` is the channel as these need it; auth/ does not import the cluster code.
 */
export interface RemoteCaller {
  call<T = unknown>(topic: string, payload: unknown): Promise<T>;
}

/** Where handlers are registered on the primary. */
export interface RemoteRegistry {
  handle(topic: string, handler: (payload: unknown) => unknown): void;
}

export const REPLAY_TOPIC = 'replay.claim';
export const THROTTLE_TOPIC = 'throttle';

interface ClaimPayload {
  deviceId: string;
  signature: string;
  expiresAt: number;
  now: number;
}

/**
 * A worker's replay guard: the primary decides. When the primary cannot answer (it is gone or
 * stuck: the worker is about to exit), the claim fails and so does the request (500), rather
 * than accepting a signature the rest of the machine may already have accepted.
 */
export class RemoteReplayGuard implements ReplayGuard {
  constructor(private readonly channel: RemoteCaller) {}

  async claim(deviceId: string, signature: string, expiresAt: number, now: number): Promise<boolean> {
    return (await this.channel.call<boolean>(REPLAY_TOPIC, { deviceId, signature, expiresAt, now } satisfies ClaimPayload)) === true;
  }
}

type ThrottleOp =
  | { op: 'attempt'; key: string; now: number; policy: BackoffPolicy }
  | { op: 'reset'; key: string }
  | { op: 'hit'; key: string; now: number; windowMs: number }
  | { op: 'count'; key: string; now: number }
  | { op: 'mark'; key: string; now: number; ttlMs: number }
  | { op: 'marked'; key: string; now: number };

/** A worker's sign-in throttle store: every operation runs on the primary's one store, so each stays atomic. */
export class RemoteThrottleStore implements ThrottleStore {
  constructor(private readonly channel: RemoteCaller) {}

  private ask<T>(op: ThrottleOp): Promise<T> {
    return this.channel.call<T>(THROTTLE_TOPIC, op);
  }
  attempt(key: string, now: number, policy: BackoffPolicy) {
    return this.ask<number>({ op: 'attempt', key, now, policy });
  }
  async reset(key: string) {
    await this.ask({ op: 'reset', key });
  }
  async hit(key: string, now: number, windowMs: number) {
    await this.ask({ op: 'hit', key, now, windowMs });
  }
  count(key: string, now: number) {
    return this.ask<{ count: number; resetInMs: number }>({ op: 'count', key, now });
  }
  async mark(key: string, now: number, ttlMs: number) {
    await this.ask({ op: 'mark', key, now, ttlMs });
  }
  marked(key: string, now: number) {
    return this.ask<boolean>({ op: 'marked', key, now });
  }
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length <= 512;

/**
 * On the primary: answers the workers' replay claims and throttle operations from one guard and
 * one store. Payloads come from Keyward's own workers, but are still checked for shape, so a
 * malformed one is an error answer, never a wrong decision.
 */
export function serveMachineShared(registry: RemoteRegistry, guard: ReplayGuard, store: ThrottleStore): void {
  registry.handle(REPLAY_TOPIC, (p) => {
    const c = p as Partial<ClaimPayload>;
    if (!isStr(c.deviceId) || !isStr(c.signature) || !isNum(c.expiresAt) || !isNum(c.now)) throw new Error('bad replay claim');
    return guard.claim(c.deviceId, c.signature, c.expiresAt, c.now);
  });
  registry.handle(THROTTLE_TOPIC, (p) => {
    const o = p as ThrottleOp;
    if (typeof o !== 'object' || o === null || !isStr(o.key)) throw new Error('bad throttle operation');
    switch (o.op) {
      case 'attempt':
        return store.attempt(o.key, o.now, o.policy);
      case 'reset':
        return store.reset(o.key);
      case 'hit':
        return store.hit(o.key, o.now, o.windowMs);
      case 'count':
        return store.count(o.key, o.now);
      case 'mark':
        return store.mark(o.key, o.now, o.ttlMs);
      case 'marked':
        return store.marked(o.key, o.now);
      default:
        throw new Error('bad throttle operation');
    }
  });
}
