import { createHash } from 'node:crypto';
import pg from 'pg';
import type { BusListener, MessageBus } from '../types.js';

/**
 * How often the listening connection proves it is alive. A cut network delivers neither
 * notifications nor an error, and TCP keepalive takes minutes to notice; an unanswered
 * heartbeat (within the client's query timeout) ends the connection and starts a new one.
 */
const HEARTBEAT_MS = 2000;
/** Reconnect backoff: doubles from the first to the last, with jitter, until one succeeds. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5000;
/** PostgreSQL's limit on a channel name (NAMEDATALEN - 1 bytes). */
const MAX_CHANNEL_BYTES = 63;

/**
 * The channel a database's Keyward nodes share. NOTIFY reaches every session of the database,
 * so deployments (and test suites) in other schemas of it must use other channels: the schema
 * is part of the name, or its hash when the name would be too long.
 */
export function notifyChannel(schema: string | null): string {
  const channel = schema ? `keyward:changes:${schema}` : 'keyward:changes';
  if (Buffer.byteLength(channel) <= MAX_CHANNEL_BYTES) return channel;
  return `keyward:changes:${createHash('sha256')
    .update(schema ?? '')
    .digest('hex')
    .slice(0, 40)}`;
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * LISTEN/NOTIFY: PostgreSQL itself relays messages between the nodes using it. One dedicated
 * connection per node LISTENs (a pooled one cannot: LISTEN is per session); messages go out
 * through the pool with pg_notify, which delivers them as soon as it runs (it is not inside
 * a transaction). Payloads must stay under PostgreSQL's 8000-byte limit.
 *
 * The listening connection is replaced whenever it fails (pg_terminate_backend, a restart,
 * a cut network caught by the heartbeat), after a backoff, for as long as the bus is open;
 * `up` is announced only once the new LISTEN is confirmed.
 */
export function postgresNotifyBus(opts: { pool: pg.Pool; listenConfig: pg.ClientConfig; channel: string }): MessageBus {
  const { pool, listenConfig, channel } = opts;
  const listenSql = `LISTEN ${quoteIdent(channel)}`;
  let closed = false;
  let current: pg.Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  /** Failed attempts since the last confirmed LISTEN: the backoff step. */
  let failures = 0;

  const open = (listener: BusListener) => {
    if (closed) return;
    const client = new pg.Client(listenConfig);
    current = client;
    let heartbeat: NodeJS.Timeout | undefined;
    let lost = false;
    const fail = (error: unknown) => {
      if (lost) return;
      lost = true;
      clearInterval(heartbeat);
      if (current === client) current = undefined;
      destroy(client);
      if (closed) return;
      listener.down(error);
      const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.min(failures, 16)) * (0.5 + Math.random() / 2);
      failures++;
      retryTimer = setTimeout(() => open(listener), delay);
      retryTimer.unref();
    };
    client.on('error', fail);
    client.on('end', () => fail(new Error('LISTEN connection ended')));
    client.on('notification', (n) => {
      if (!lost && n.channel === channel && n.payload !== undefined) listener.message(n.payload);
    });
    client
      .connect()
      .then(() => client.query(listenSql))
      .then(
        () => {
          if (lost) return;
          if (closed) return fail(new Error('closed'));
          // Repeating LISTEN is a no-op for the server and a round trip that proves the connection.
          heartbeat = setInterval(() => client.query(listenSql).catch(fail), HEARTBEAT_MS);
          heartbeat.unref();
          failures = 0;
          listener.up();
        },
        (error: unknown) => fail(error),
      );
  };

  return {
    kind: 'postgres',
    async publish(text) {
      await pool.query('select pg_notify($1, $2)', [channel, text]);
    },
    listen(listener) {
      open(listener);
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      const client = current;
      current = undefined;
      if (client) await endGracefully(client);
    },
  };
}

/** Drops a connection that failed: its socket may be dead without knowing it, so no goodbye is awaited. */
function destroy(client: pg.Client): void {
  client.end().catch(() => {});
  streamOf(client)?.destroy();
}

/** Says goodbye to the server (no "unexpected EOF" in its log), for at most a second. */
async function endGracefully(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.end().catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
  clearTimeout(timer);
  streamOf(client)?.destroy();
}

function streamOf(client: pg.Client): { destroy(): void } | undefined {
  return (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
}
