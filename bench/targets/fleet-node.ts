/**
 * One Keyward node of a fleet, in its own process, for the propagation benchmark
 * (bench/propagation.ts): BENCH_NODE_DATABASE_URL (shared by the fleet), BENCH_NODE_DATA_DIR
 * (shared: one master key), BENCH_NODE_REDIS_URL (optional). Listens and reports { port }.
 */
import { loadConfig } from '../../src/config.js';
import { createKeyward } from '../../src/server.js';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

const config = loadConfig(
  {},
  {
    databaseUrl: env('BENCH_NODE_DATABASE_URL'),
    dataDir: env('BENCH_NODE_DATA_DIR'),
    redisUrl: process.env.BENCH_NODE_REDIS_URL || undefined,
    bootstrapEmail: 'operator@bench.local',
    bootstrapPassword: 'operator-password-1',
    defaultMaxKeysPerApplication: 10_000,
  },
);
const kw = await createKeyward(config);
await kw.app.listen({ host: '127.0.0.1', port: 0 });
const addr = kw.app.server.address();
process.send?.({ ready: true, port: typeof addr === 'object' && addr ? addr.port : 0, relay: kw.relay?.kind ?? 'off' });
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => {
  kw.close().finally(() => process.exit(0));
});
