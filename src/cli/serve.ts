import { SLOT_ENV } from '../cluster/slot.js';
import type { WorkerSide } from '../cluster/worker.js';
import type { Config } from '../config.js';
import { createKeyward } from '../server.js';
import { findOperatorEmail } from '../store/repos/users.js';
import { startBanner } from './banner.js';
import { humanLogStream } from './human-log.js';

export function humanLogs(config: Config): boolean {
  return config.logFormat === 'human' || (config.logFormat === 'auto' && process.stdout.isTTY === true);
}

/**
 * `keyward serve`: one process (KEYWARD_WORKERS=1, the default: no cluster code is loaded), or
 * a primary and its workers (src/cli/serve-cluster.ts). A worker runs this same program again
 * and lands here with its number in the environment.
 */
export async function serve(config: Config): Promise<void> {
  if (config.workers > 1 || process.env[SLOT_ENV] !== undefined) {
    const { serveCluster } = await import('./serve-cluster.js');
    return serveCluster(config);
  }
  return serveProcess(config);
}

/** One serving process: the whole of Keyward (no `worker`), or one cluster worker. */
export async function serveProcess(config: Config, worker?: WorkerSide): Promise<void> {
  const human = humanLogs(config);
  const notices: string[] = [];
  const kw = await createKeyward(config, {
    logger: human ? { level: config.logLevel, stream: humanLogStream() } : { level: config.logLevel },
    requestLogging: !human,
    onBootstrap: (email, password) => {
      notices.push(
        password
          ? `Operator created: ${email}\nGenerated password (shown once, store it now): ${password}`
          : `Operator created: ${email} (password from KEYWARD_BOOTSTRAP_PASSWORD)`,
      );
    },
    onBootstrapIgnored: (warning) => notices.push(`WARNING: ${warning}`),
    ...(worker && { worker: { slot: worker.slot, channel: worker.channel } }),
  });
  // Every request handler answers its own failures (a 500 with the envelope), so a rejection
  // nobody awaited is a failed side task (a flush, a relay message): the work it did is
  // transactional, so log it and keep serving. An uncaught exception is different: the
  // process state is unknown, so it is logged and the process still exits (restart it; a
  // cluster's primary restarts a worker itself).
  process.on('unhandledRejection', (reason) => kw.app.log.error({ err: reason }, 'unhandled promise rejection'));
  process.on('uncaughtExceptionMonitor', (err) => kw.app.log.fatal({ err }, 'uncaught exception: exiting'));
  const address = await kw.app.listen({ host: config.host, port: config.port });
  if (!worker) {
    const operator = await findOperatorEmail(kw.ctx.store.db).catch(() => undefined);
    process.stdout.write(startBanner(operator, config, address, notices));
  }
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    kw.app.log.info({ reason, drainTimeoutMs: config.shutdownTimeoutMs }, 'shutting down: draining in-flight requests');
    let code = 0;
    try {
      await kw.close(config.shutdownTimeoutMs);
    } catch (err) {
      kw.app.log.error({ err }, 'shutdown failed');
      code = 1;
    }
    worker?.channel.close();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  worker?.onStop((reason) => void stop(reason));
}
