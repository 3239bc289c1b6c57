import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got, checked with the Standard Webhooks library. */
export interface Received {
  id: string;
  timestamp: number;
  body: string;
  /** The parsed body when the signature verified; undefined when it did not. */
  verified: { type: string; timestamp: string; data: Record<string, any> } | undefined;
  at: number;
}

/**
 * A real HTTP receiver on 127.0.0.1 that verifies every request with `standardwebhooks` (the
 * reference library, not Keyward's own code) against the secret it is given, and answers what
 * `answer` says (200 by default; `hang` never answers).
 */
export async function startReceiver() {
  const received: Received[] = [];
  let secret: string | undefined;
  let answer: (r: Received, n: number) => number | 'hang' = () => 200;
  const waiters: { until: (list: Received[]) => boolean; resolve: () => void }[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(req.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
      };
      let verified: Received['verified'];
      try {
        verified = secret ? (new Webhook(secret).verify(body, headers) as Received['verified']) : undefined;
      } catch {
        verified = undefined;
      }
      const r: Received = { id: headers['webhook-id'], timestamp: Number(headers['webhook-timestamp']), body, verified, at: Date.now() };
      received.push(r);
      const status = answer(r, received.length);
      for (const w of [...waiters]) {
        if (w.until(received)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
      if (status === 'hang') return;
      res.writeHead(status, status >= 300 && status < 400 ? { location: 'http://127.0.0.1:9/elsewhere' } : {}).end('ok');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    setSecret(s: string) {
      secret = s;
    },
    answer(fn: typeof answer) {
      answer = fn;
    },
    /** Resolves once `until` holds for what was received; rejects after `ms`. */
    waitFor(until: (list: Received[]) => boolean, ms = 10_000): Promise<void> {
      if (until(received)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver: condition not met in ${ms} ms (${received.length} received)`)), ms);
        waiters.push({
          until,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
