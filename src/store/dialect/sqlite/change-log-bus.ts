import type Database from 'better-sqlite3';
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

interface Statements {
  insert: Database.Statement<[string, number]>;
  after: Database.Statement<[number], { id: number; payload: string }>;
  last: Database.Statement<[], { id: number | null }>;
  prune: Database.Statement<[number]>;
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
  db: Database.Database,
  timing: { pollMs?: number; retentionMs?: number; pruneEveryMs?: number } = {},
): MessageBus {
  const { pollMs = CHANGE_LOG_POLL_MS, retentionMs = RETENTION_MS, pruneEveryMs = PRUNE_EVERY_MS } = timing;
  let statements: Statements | undefined;
  // Prepared on first use: the table exists only once the store has migrated.
  const prepared = (): Statements => {
    statements ??= {
      insert: db.prepare('insert into change_log (payload, created_at) values (?, ?)'),
      after: db.prepare(`select id, payload from change_log where id > ? order by id limit ${BATCH}`),
      last: db.prepare('select max(id) as id from change_log'),
      prune: db.prepare('delete from change_log where created_at < ? and id < (select max(id) from change_log)'),
    };
    return statements;
  };
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const listen = (listener: BusListener) => {
    let lastId: number | undefined;
    let lastRead = 0;
    let healthy = false;
    let nextPrune = Date.now() + Math.random() * pruneEveryMs;
    const read = () => {
      if (closed || !db.open) return;
      const now = Date.now();
      try {
        const s = prepared();
        if (lastId !== undefined && now - lastRead > retentionMs / 2) {
          // Rows this process never read may be gone already.
          listener.down(new Error('change log not read for longer than its retention'));
          lastId = undefined;
          healthy = false;
        }
        if (lastId === undefined) {
          lastId = s.last.get()?.id ?? 0;
        } else {
          for (;;) {
            const rows = s.after.all(lastId);
            for (const row of rows) {
              lastId = row.id;
              listener.message(row.payload);
            }
            if (rows.length < BATCH) break;
          }
        }
        lastRead = now;
        if (!healthy) {
          healthy = true;
          listener.up();
        }
      } catch (error) {
        healthy = false;
        listener.down(error);
      }
      if (healthy && now >= nextPrune) {
        nextPrune = now + pruneEveryMs;
        try {
          statements?.prune.run(now - retentionMs);
        } catch {
          // Another process holds the write lock: this one or another prunes next time.
        }
      }
      timer = setTimeout(read, pollMs);
      timer.unref();
    };
    timer = setTimeout(read, 0);
    timer.unref();
  };

  return {
    kind: 'sqlite',
    async publish(text) {
      prepared().insert.run(text, Date.now());
    },
    listen,
    async close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
