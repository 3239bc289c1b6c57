/** The ceiling: the least a Node HTTP server can do per request on this machine. */
import { createServer } from 'node:http';

const body = JSON.stringify({ valid: true });
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.send?.({ ready: true, port: typeof addr === 'object' && addr ? addr.port : 0 });
});
process.on('disconnect', () => process.exit(0));
process.on('message', (m: { ask?: string }) => {
  if (m.ask === 'cpu') process.send?.(process.cpuUsage());
});
