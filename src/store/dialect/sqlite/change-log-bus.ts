import type { Generated, Kysely } from 'kysely';
import type { BusListener, MessageBus } from '../types.js';

/**
 * How often each process reads the log. An indexed range read that usually finds nothing
 * costs microseconds, so a short interval is cheap: messages arrive within this bound.
 */
export const CHANGE_LOG_POLL_MS = 50;
/** How long messages are kept: far longer than any reader takes between two reads. */
const RETENTION_MS = 5 * 60_000;
const PRUNE_EVERY_MS = 30_000;
/** Rows read per query; a longer backlog is read in several in one go. */
const BATCH = 500;

/** The one table the bus uses (migration 0005). */
interface ChangeLogDb {
  change_log: { id: Generated<number>; payload: string; created_at: number };
}

/**
 * Processes sharing one SQLite file have no channel but the file: each message is a row of
 * `change_log` (migration 0005) and every process reads the rows after the last one it saw.
 * SQLite commits one writer at a time and gives each new row the largest id plus one, so ids
 * follow commit order and no row can appear behind a reader. Rows older than the retention
 * are pruned, except the newest (it keeps the next id above every id already read); a
 * reader that fell further behind than the retention (a stalled process) reports itself down
 * and up again, so its caches are cleared rather than trusted.
 */
export function sqliteChangeLogBus(
  // Through the store's Kysely (its connection mutex), never beside it: a statement run on the
  // connection while another request's transaction is open would land inside that transaction.
  db: Kysely<ChangeLogDb>,
  timing: { pollMs?: number; retentionMs?: number; pruneEveryMs?: number } = {},
): MessageBus {
  const { pollMs = CHANGE_LOG_POLL_MS, retentionMs = RETENTION_MS, pruneEveryMs = PRUNE_EVERY_MS } = timing;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const listen = (listener: BusListener) => {
    let lastId: number | undefined;
    let lastRead = 0;
    let healthy = false;
    let nextPrune = Date.now() + Math.random() * pruneEveryMs;
    const read = async () => {
      const now = Date.now();
      try {
        if (lastId !== undefined && now - lastRead > retentionMs / 2) {
          // Rows this process never read may be gone already.
          listener.down(new Error('change log not read for longer than its retention'));
          lastId = undefined;
          healthy = false;
        }
        if (lastId === undefined) {
          const last = await db
            .selectFrom('change_log')
            .select((eb) => eb.fn.max('id').as('id'))
            .executeTakeFirst();
          lastId = Number(last?.id ?? 0);
        } else {
          for (;;) {
            const rows = await db
              .selectFrom('change_log')
              .select(['id', 'payload'])
              .where('id', '>', lastId)
              .orderBy('id')
              .limit(BATCH)
              .execute();
            for (const row of rows) {
              lastId = row.id;
              if (!closed) listener.message(row.payload);
            }
            if (rows.length < BATCH) break;
          }
        }
        lastRead = now;
        if (!healthy && !closed) {
          healthy = true;
          listener.up();
        }
      } catch (error) {
        healthy = false;
        if (!closed) listener.down(error);
      }
      if (healthy && now >= nextPrune) {
        nextPrune = now + pruneEveryMs;
        await db
          .deleteFrom('change_log')
          .where('created_at', '<', now - retentionMs)
          .where(
            'id',
            '<',
            db.selectFrom('change_log').select((eb) => eb.fn.max('id').as('max')),
          )
          .execute()
          .catch(() => {
            // Another process holds the write lock: this one or another prunes next time.
          });
      }
      schedule(pollMs);
    };
    const schedule = (ms: number) => {
      if (closed) return;
      timer = setTimeout(() => void read(), ms);
      timer.unref();
    };
    schedule(0);
  };

  return {
    kind: 'sqlite',
    async publish(text) {
      await db.insertInto('change_log').values({ payload: text, created_at: Date.now() }).execute();
    },
    listen,
    async close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
