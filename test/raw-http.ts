import { connect, type Socket } from 'node:net';

/** What came back on a raw connection: the parsed status line, headers and body, if any. */
export interface RawResponse {
  /** Everything the server wrote before it closed the connection. */
  raw: string;
  status: number | undefined;
  headers: Record<string, string>;
  body: string;
  json: any;
}

export function parseRaw(raw: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return { raw, status: undefined, headers: {}, body: '', json: undefined };
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const at = line.indexOf(':');
    headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  const body = raw.slice(end + 4);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { raw, status: Number(statusLine.split(' ')[1]), headers, body, json };
}

/** Opens a TCP connection to the server (resolves once connected). */
export function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Collects what the server writes on `socket` until it closes the connection, or rejects
 * after `withinMs` (a generous bound: the assertion is that it closes, not when).
 */
export function untilClosed(socket: Socket, withinMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let raw = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      raw += chunk;
    });
    socket.on('error', () => {
      // A reset still ends the connection; what was read so far is the answer.
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server did not close the connection within ${withinMs} ms; read: ${JSON.stringify(raw.slice(0, 200))}`));
    }, withinMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseRaw(raw));
    });
  });
}

/** Sends raw bytes on a new connection and reads until the server closes it. */
export async function rawExchange(port: number, request: string | Buffer, withinMs = 10_000): Promise<RawResponse> {
  const socket = await open(port);
  const closed = untilClosed(socket, withinMs);
  socket.write(request);
  return closed;
}
