import type { Redis } from 'ioredis';
import type { ReplayGuard } from './replay-cache.js';

export interface ReplayGuardLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * The replay guard shared by every node: one `SET keyward:replay:<device>:<signature> 1 PX
 * <ttl> NX` per accepted signature, so a request accepted on node A is REPLAYED on node B.
 *
 * Every claim is also recorded in this node's memory guard, which is asked first. When Redis
 * cannot answer (down, reconnecting, or slower than the command timeout) the claim falls back
 * to that memory guard alone and the outage is logged. The trade-off, chosen on purpose:
 * refusing every signed request during a Redis blip would be an outage of device traffic,
 * while the fallback leaves one narrow hole for its duration: a signature captured and played
 * to a different node within its 5-minute window. Replays to the same node stay refused.
 */
/** After Redis failed to answer, how long claims skip it instead of each waiting for the timeout again. */
export const REDIS_RETRY_AFTER_MS = 5000;

export class RedisReplayGuard implements ReplayGuard {
  private degraded = false;
  private skipUntil = 0;

  constructor(
    private readonly redis: { readonly ready: boolean; readonly commands: Pick<Redis, 'set'> },
    private readonly local: ReplayGuard,
    private readonly log: ReplayGuardLogger,
  ) {}

  async claim(deviceId: string, signature: string, expiresAt: number, now: number): Promise<boolean> {
    if (!(await this.local.claim(deviceId, signature, expiresAt, now))) return false;
    if (!this.redis.ready) {
      this.fallingBack(new Error('Redis is not connected'));
      return true;
    }
    // A Redis that accepts commands but never answers (a cut network) would cost every signed
    // request the command timeout: after one failure, skip it for a while.
    if (Date.now() < this.skipUntil) return true;
    let answer: 'OK' | null;
    try {
      answer = await this.redis.commands.set(`keyward:replay:${deviceId}:${signature}`, '1', 'PX', Math.max(1, expiresAt - now), 'NX');
    } catch (err) {
      this.skipUntil = Date.now() + REDIS_RETRY_AFTER_MS;
      this.fallingBack(err);
      return true;
    }
    if (this.degraded) this.log.info({}, 'replay guard shared over Redis again');
    this.degraded = false;
    return answer === 'OK';
  }

  private fallingBack(err: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    this.log.warn(
      { err: { message: err instanceof Error ? err.message : String(err) } },
      'replay guard: Redis unavailable, signatures are checked against this node only until it is back',
    );
  }
}
