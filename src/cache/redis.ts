import { Redis } from 'ioredis';

/** Where Redis going away and coming back is reported (once per change, not per retry). */
export interface RedisLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** A command waits at most this long; then its caller falls back (replay guard) or drops it (relay). */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;
const REDIS_CONNECT_TIMEOUT_MS = 2000;

/**
 * The one Redis connection for commands, shared by every feature that uses Redis (the
 * invalidation relay's publisher, the shared replay guard), and the subscriber connections
 * made from it. Opening it never waits and never fails: with Redis down, Keyward starts and
 * serves degraded (each feature says how), ioredis reconnects in the background with
 * backoff, and the outage is logged once when it starts and once when it ends.
 */
export interface SharedRedis {
  readonly commands: Redis;
  /** Whether the command connection is up right now: callers that must not wait check it first. */
  readonly ready: boolean;
  /** A new connection for subscriber mode (a subscribed connection can run no other command). */
  subscriber(): Redis;
  close(): void;
}

export function connectRedis(url: string, log: RedisLogger): SharedRedis {
  const commands = new Redis(url, {
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    // Commands sent while reconnecting fail after one attempt instead of queueing indefinitely.
    maxRetriesPerRequest: 1,
  });
  reportOutages(commands, log);
  const subscribers: Redis[] = [];
  return {
    commands,
    get ready() {
      return commands.status === 'ready';
    },
    subscriber() {
      // Resubscribing is the subscriber's owner's job: it must know when the subscription is back.
      const sub = commands.duplicate({ autoResubscribe: false });
      subscribers.push(sub);
      return sub;
    },
    close() {
      for (const sub of subscribers) sub.disconnect();
      commands.disconnect();
    },
  };
}

/** Every reconnect attempt emits 'error'; only the first of an outage is worth a line. */
function reportOutages(client: Redis, log: RedisLogger): void {
  let down = false;
  client.on('error', (err: unknown) => {
    if (down) return;
    down = true;
    log.warn({ err }, 'Redis unavailable: serving degraded and reconnecting in the background');
  });
  client.on('ready', () => {
    if (down) log.info({}, 'Redis reachable again');
    down = false;
  });
}
