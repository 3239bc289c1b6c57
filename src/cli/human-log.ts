import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
/** pino's own fields, and the bulky request/response objects, are not repeated as key=value. */
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v', 'req', 'res', 'err']);

/**
 * One pino JSON line as a short human line: `12:00:01 WARN  message key=value …`. Errors show
 * their message only; anything unparsable is passed through as it came.
 */
export function humanLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof o.time === 'number' ? new Date(o.time).toISOString().slice(11, 19) : '--:--:--';
  const level = LEVELS[o.level as number] ?? String(o.level);
  const parts = [time, level, String(o.msg ?? '')];
  const err = o.err as { message?: unknown } | undefined;
  if (err && typeof err.message === 'string') parts.push(`(${err.message})`);
  for (const [k, v] of Object.entries(o)) {
    if (SKIP.has(k) || v === undefined) continue;
    parts.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return parts.join(' ');
}

/** A destination for pino that writes human lines to `out` (the terminal). */
export function humanLogStream(out: NodeJS.WritableStream = process.stdout): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      pending += chunk.toString('utf8');
      let nl = pending.indexOf('\n');
      while (nl !== -1) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.trim() !== '') out.write(`${humanLine(line)}\n`);
        nl = pending.indexOf('\n');
      }
      done();
    },
  });
}
