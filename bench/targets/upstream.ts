/**
 * The API behind the gateway in the nginx part (bench/nginx.ts): a bare node:http server
 * answering every request 200 with a small JSON body, as cheap as an upstream can be, so that
 * what the rows differ by is the gateway. Idle connections are kept 75 s, longer than nginx's
 * upstream keepalive_timeout, so nginx never sends on a connection this server is closing.
 */
import { createServer } from 'node:http';

const body = JSON.stringify({ ok: true });
const server = createServer((req, res) => {
  // Read (and drop) any body before answering, as an API would.
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 75_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.send?.({ ready: true, port: typeof addr === 'object' && addr ? addr.port : 0 });
});
process.on('disconnect', () => process.exit(0));
process.on('message', (m: { ask?: string }) => {
  if (m.ask === 'cpu') process.send?.(process.cpuUsage());
});
