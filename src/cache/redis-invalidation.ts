import type { Redis } from 'ioredis';
import type { MessageBus } from '../store/store.js';
import type { SharedRedis } from './redis.js';

export const INVALIDATION_CHANNEL = 'keyward:changes';

/**
 * How often the subscriber connection proves it is alive (PING is allowed while subscribed):
 * a cut network delivers neither messages nor an error, and an unanswered PING (within the
 * command timeout) ends the connection, which ioredis then reopens with backoff.
 */
const HEARTBEAT_MS = 2000;

/**
 * Redis pub/sub as the relay's bus: messages go out on the shared command connection and
 * arrive on a subscriber connection of their own. ioredis reconnects by itself; the channel
 * is subscribed to again on each new connection, and `up` is announced once Redis confirms.
 */
export function redisBus(redis: SharedRedis): MessageBus {
  let sub: Redis | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  return {
    kind: 'redis',
    async publish(text) {
      await redis.commands.publish(INVALIDATION_CHANNEL, text);
    },
    listen(listener) {
      const s = redis.subscriber();
      sub = s;
      s.on('error', (err: unknown) => listener.down(err));
      s.on('close', () => listener.down(new Error('Redis subscriber connection closed')));
      s.on('ready', () => {
        s.subscribe(INVALIDATION_CHANNEL).then(
          () => listener.up(),
          (err: unknown) => {
            listener.down(err);
            // Still connected but not subscribed: only a new connection brings 'ready' (and a retry) again.
            if (s.status === 'ready') s.disconnect(true);
          },
        );
      });
      s.on('message', (_channel: string, raw: string) => listener.message(raw));
      heartbeat = setInterval(() => {
        if (s.status !== 'ready') return;
        s.ping().catch((err: unknown) => {
          listener.down(err);
          if (s.status === 'ready') s.disconnect(true);
        });
      }, HEARTBEAT_MS);
      heartbeat.unref();
    },
    async close() {
      clearInterval(heartbeat);
      sub?.disconnect();
    },
  };
}
