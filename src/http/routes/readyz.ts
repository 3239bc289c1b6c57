import { z } from 'zod';
import { relayState } from '../../cache/bus-relay.js';
import type { Runtime } from '../../compose.js';
import { KeywardError } from '../../core/errors.js';
import type { Ctx } from '../../service/context.js';
import { errors, INPUT_ERRORS } from '../schemas.js';
import type { App } from '../types.js';

/** Whether the database answers a trivial query within the statement timeout. */
async function storeAnswers(ctx: Ctx): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const ping = ctx.store.ping().then(
    () => true,
    () => false,
  );
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ctx.config.dbStatementTimeoutMs);
  });
  try {
    return await Promise.race([ping, late]);
  } finally {
    clearTimeout(timer);
  }
}

export function registerReady(app: App, ctx: Runtime) {
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['ops'],
        operationId: 'readyz',
        summary: 'Readiness: the database answers',
        description:
          'Anyone, no credential needed. 200 when the database answers a trivial query within KEYWARD_DB_STATEMENT_TIMEOUT_MS, else 503 STORE_UNAVAILABLE (with Retry-After). Take a node out of a load balancer on 503; do not restart it (see /healthz). `relay` reports the cache invalidation relay without affecting readiness: `up`, `down` (cache entries live at most KEYWARD_RELAY_DOWN_TTL_MS until it is back) or `off` (none: one in-memory node, or caches off). Under `keyward serve --workers N`, `worker` is the number (1..N) of the worker process that answered: each worker answers for itself.',
        security: [], // no management credential
        response: {
          200: z.object({
            ok: z.literal(true),
            store: z.string(),
            relay: z.enum(['up', 'down', 'off']),
            worker: z.number().int().min(1).optional(),
          }),
          ...errors([...INPUT_ERRORS, 'STORE_UNAVAILABLE']),
        },
      },
    },
    async () => {
      if (!(await storeAnswers(ctx))) throw new KeywardError('STORE_UNAVAILABLE');
      return {
        ok: true as const,
        store: ctx.store.dialectName,
        relay: relayState(ctx.changes),
        ...(ctx.worker !== undefined && { worker: ctx.worker }),
      };
    },
  );
}
