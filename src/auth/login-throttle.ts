import { createHash } from 'node:crypto';
import { KeywardError } from '../core/errors.js';
import { type BackoffPolicy, MemoryThrottleStore, type ThrottleStore } from './throttle-store.js';

export interface LoginThrottlePolicy extends BackoffPolicy {
  /** Failed sign-ins for one email, from every address together, within `emailWindowMs`... */
  emailCeiling: number;
  emailWindowMs: number;
  /** ...after which only addresses that signed in to that email within `knownAddressMs` may try. */
  knownAddressMs: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottlePolicy = {
  freeAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 24 * 3600_000,
  emailCeiling: 100,
  emailWindowMs: 15 * 60_000,
  knownAddressMs: 30 * 24 * 3600_000,
};

/** Store keys: hashed so neither memory dumps nor Redis hold emails or client addresses. */
function keysOf(email: string, address: string): { pair: string; email: string; known: string } {
  const h = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 32);
  const pair = h(`${email}\n${address}`);
  return { pair: `pair:${pair}`, email: `email:${h(email)}`, known: `known:${pair}` };
}

/**
 * Slows password guessing without locking the owner out. Each (email, client address) pair
 * gets `freeAttempts` attempts, then waits 1 s, 2 s, 4 s … up to 15 minutes between attempts;
 * a success resets the pair. A guesser's address is slowed while the owner, from their own
 * address, signs in as usual.
 *
 * Against guessing spread over many addresses, a looser per-email ceiling: after 100 failures
 * for one email within 15 minutes, addresses that have not signed in to that email in the past
 * 30 days are refused until the window ends. Known addresses (the owner's) are never refused
 * by the ceiling; it is a brake on strangers, not a lockout.
 *
 * Counts live in a `ThrottleStore`: per node in memory, or shared by every node over Redis.
 */
export class LoginThrottle {
  constructor(
    readonly store: ThrottleStore = new MemoryThrottleStore(),
    readonly policy: LoginThrottlePolicy = DEFAULT_LOGIN_THROTTLE,
  ) {}

  /**
   * Call before checking a password: counts the attempt, or throws RATE_LIMITED (with
   * `retryAfterSeconds`) when this address must wait for this email.
   */
  async enter(email: string, address: string, now: number): Promise<void> {
    const wait = await this.admit(email, address, now);
    if (wait > 0) {
      throw new KeywardError('RATE_LIMITED', 'Too many failed sign-ins for this email from your address: try again later.', {
        retryAfterSeconds: Math.ceil(wait / 1000),
      });
    }
  }

  /** Milliseconds this address must wait before trying this email again, or 0: the attempt is admitted (and counted). */
  async admit(email: string, address: string, now: number): Promise<number> {
    const k = keysOf(email, address);
    const all = await this.store.count(k.email, now);
    if (all.count >= this.policy.emailCeiling && !(await this.store.marked(k.known, now))) return Math.max(all.resetInMs, 1);
    return this.store.attempt(k.pair, now, this.policy);
  }

  async failed(email: string, address: string, now: number): Promise<void> {
    await this.store.hit(keysOf(email, address).email, now, this.policy.emailWindowMs);
  }

  async succeeded(email: string, address: string, now: number): Promise<void> {
    const k = keysOf(email, address);
    await Promise.all([this.store.reset(k.pair), this.store.mark(k.known, now, this.policy.knownAddressMs)]);
  }

  /**
   * One password check under the throttle, for every place that takes a password (sign-in,
   * proving the current one): the attempt is counted first (RATE_LIMITED when this address
   * must wait), then the outcome of `check` is recorded. Resolves to that outcome.
   */
  async checkPassword(email: string, address: string, clock: () => number, check: () => Promise<boolean>): Promise<boolean> {
    await this.enter(email, address, clock());
    const ok = await check();
    if (ok) await this.succeeded(email, address, clock());
    else await this.failed(email, address, clock());
    return ok;
  }
}
