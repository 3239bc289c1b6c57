import type { CheckOutcome, CheckRequest } from '../core/ratelimit.js';
import type { RateLimitEngine } from './engine.js';

/**
 * Rate limits and quotas of `keyward serve --workers N` without Redis: the primary holds the
 * machine's one `LocalEngine` (and the quota ledger that writes its spends), and every worker
 * asks it over the cluster channel (src/cluster/channel.ts), so a limit holds exactly across
 * the workers as it does in one process. One IPC round trip per request of a limited key,
 * batched with whatever else the worker asks in the same turn; keys without limits never ask.
 * `Caller` and `Registry` are the channel as this needs it: ratelimit/ does not import the cluster code.
 */
export const LIMIT_TOPIC = 'ratelimit.check';

interface Caller {
  call<T = unknown>(topic: string, payload: unknown): Promise<T>;
}
interface Registry {
  handle(topic: string, handler: (payload: unknown) => unknown): void;
}

export class RemoteEngine implements RateLimitEngine {
  readonly mode = 'machine';
  constructor(private readonly primary: Caller) {}

  check(req: CheckRequest): Promise<CheckOutcome> {
    return this.primary.call<CheckOutcome>(LIMIT_TOPIC, req);
  }
}

/** The primary's side: answers the workers' checks from the machine's engine. */
export function serveMachineLimits(registry: Registry, engine: RateLimitEngine): void {
  registry.handle(LIMIT_TOPIC, (payload) => engine.check(payload as CheckRequest));
}
