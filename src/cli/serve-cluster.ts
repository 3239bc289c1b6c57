import cluster from 'node:cluster';
import { serveMachineShared } from '../auth/machine-shared.js';
import { MemoryReplayGuard } from '../auth/replay-cache.js';
import { MemoryThrottleStore } from '../auth/throttle-store.js';
import { PrimaryChannel } from '../cluster/channel.js';
import { type SupervisorLog, supervise } from '../cluster/supervisor.js';
import { workerSide } from '../cluster/worker.js';
import { compose, foreignSecretsWarning } from '../compose.js';
import type { Config } from '../config.js';
import { listenMetrics } from '../http/metrics-server.js';
import { primaryMetrics } from '../metrics/cluster.js';
import { LocalEngine } from '../ratelimit/local-engine.js';
import { serveMachineLimits } from '../ratelimit/remote-engine.js';
import { bootstrapOperator, ignoredBootstrapWarning } from '../service/bootstrap.js';
import { findOperatorEmail } from '../store/repos/users.js';
import { startBanner } from './banner.js';
import { humanLine } from './human-log.js';
import { humanLogs, serveProcess } from './serve.js';

/** Lines from the primary, shaped as the workers' pino lines (and turned human the same way). */
function primaryLog(config: Config): SupervisorLog {
  const human = humanLogs(config);
  const rank: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: 100 };
  const threshold = rank[config.logLevel] ?? 30;
  const line = (level: number, obj: object, msg: string) => {
    if (level < threshold) return;
    const json = JSON.stringify({ level, time: Date.now(), pid: process.pid, role: 'primary', ...obj, msg });
    process.stdout.write(`${human ? humanLine(json) : json}\n`);
  };
  return {
    info: (obj, msg) => line(30, obj, msg),
    warn: (obj, msg) => line(40, obj, msg),
    error: (obj, msg) => line(50, obj, msg),
  };
}

/**
 * `keyward serve --workers N` (N > 1). In the primary: the one-time work before forking
 * (migrations, the master key generated or checked, the operator bootstrapped, the banner
 * printed once), then the workers are forked and supervised, and the primary holds the replay
 * guard and sign-in throttle every worker asks (docs/architecture.md, "Workers").
 * In a worker: serve as one process would, with the primary's shared state.
 */
export async function serveCluster(config: Config): Promise<void> {
  const worker = workerSide();
  if (worker) return serveProcess(config, worker);
  if (!cluster.isPrimary) throw new Error('KEYWARD_WORKER_SLOT is set, but this process is not a cluster worker: unset it');

  const log = primaryLog(config);
  const notices: string[] = [];
  const composed = await compose(config, { masterKey: 'at-start', log });
  let operator: string | undefined;
  try {
    const boot = await bootstrapOperator(composed.ctx);
    if (boot) {
      notices.push(
        boot.generatedPassword
          ? `Operator created: ${boot.email}\nGenerated password (shown once, store it now): ${boot.generatedPassword}`
          : `Operator created: ${boot.email} (password from KEYWARD_BOOTSTRAP_PASSWORD)`,
      );
    }
    const ignored = boot ? null : await ignoredBootstrapWarning(composed.ctx);
    if (ignored) {
      log.warn({}, ignored);
      notices.push(`WARNING: ${ignored}`);
    }
    const key = composed.masterKey;
    const foreign = key && foreignSecretsWarning(key);
    if (key && foreign) log.warn({ masterKeyId: key.keyId, foreignKeyIds: key.foreign.keyIds }, foreign);
    operator = await findOperatorEmail(composed.store.db);
  } catch (e) {
    await composed.close();
    throw e;
  }

  const channel = new PrimaryChannel();
  serveMachineShared(channel, new MemoryReplayGuard(), new MemoryThrottleStore());
  // Without Redis the machine's rate-limit and quota counters live here, exact across the workers;
  // the primary keeps its store open for the quota ledger (seeds, and spends written every flush).
  const ledger = composed.ctx.quotaLedger;
  if (!config.redisUrl) {
    ledger.start(log);
    serveMachineLimits(channel, new LocalEngine(ledger, { reseed: config.ratelimitNodes > 1 }));
  }
  const metrics = config.metrics.enabled ? primaryMetrics(channel) : undefined;
  const metricsListener =
    metrics && config.metrics.port !== undefined
      ? await listenMetrics(metrics, config, (err) => log.error({ err }, 'metrics listener error'))
      : undefined;
  if (metricsListener) log.info({ url: `${metricsListener.url}/metrics` }, 'metrics listening (every worker merged)');
  // Round-robin by the primary unless the operator chose otherwise (docs/architecture.md, "Workers": measured).
  if (process.env.NODE_CLUSTER_SCHED_POLICY === undefined) cluster.schedulingPolicy = cluster.SCHED_RR;
  const supervisor = supervise({
    workers: config.workers,
    channel,
    log,
    killAfterMs: config.shutdownTimeoutMs + 5_000,
  });
  process.once('SIGINT', () => supervisor.stop('SIGINT'));
  process.once('SIGTERM', () => supervisor.stop('SIGTERM'));
  supervisor.listening.then(
    (address) => process.stdout.write(startBanner(operator, config, address, notices, config.workers)),
    () => {},
  );
  let code = await supervisor.done;
  await metricsListener?.close();
  // After every worker stopped: the last quota spends are written, then the store closes.
  await composed.close().catch((err: unknown) => {
    log.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'closing the store failed');
    code = 1;
  });
  process.exit(code);
}
