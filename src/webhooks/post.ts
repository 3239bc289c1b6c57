import http from 'node:http';
import https from 'node:https';
import type { TargetGuard } from './target-guard.js';

export interface Attempt {
  /** A 2xx answer. */
  ok: boolean;
  statusCode: number | null;
  /** Why it failed, for the delivery log (never a secret: no header or body of ours). */
  error: string | null;
}

/**
 * One POST of a webhook: connected through the guard's lookup (and refused before any
 * connection for an address literal it refuses), bounded by `timeoutMs` from start to the last
 * byte read, redirects not followed (a 3xx is a failure), and at most `maxResponseBytes` of the
 * answer read (only to free the connection; the body is not kept).
 */
export function postWebhook(
  guard: TargetGuard,
  target: string,
  headers: Record<string, string>,
  body: string,
  opts: { timeoutMs: number; maxResponseBytes: number },
): Promise<Attempt> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return Promise.resolve({ ok: false, statusCode: null, error: 'not a URL' });
  }
  const literal = guard.literalRefusal(url);
  if (literal) return Promise.resolve({ ok: false, statusCode: null, error: `refused: ${literal}` });
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(a);
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        lookup: guard.lookupFor(url.protocol),
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Keyward-Webhooks/1',
        },
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        let read = 0;
        const finish = () =>
          done({ ok: status >= 200 && status < 300, statusCode: status, error: status >= 200 && status < 300 ? null : `HTTP ${status}` });
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read >= opts.maxResponseBytes) finish();
        });
        res.on('end', finish);
        res.on('error', finish);
      },
    );
    const timer = setTimeout(() => done({ ok: false, statusCode: null, error: `timed out after ${opts.timeoutMs} ms` }), opts.timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => done({ ok: false, statusCode: null, error: e.message.slice(0, 300) }));
    req.end(body);
  });
}
