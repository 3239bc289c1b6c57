import { z } from 'zod';
import type { Ctx } from '../../service/context.js';
import { errors, INPUT_ERRORS } from '../schemas.js';
import type { App } from '../types.js';

export function registerHealth(app: App, ctx: Ctx) {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['ops'],
        operationId: 'healthz',
        summary: 'Liveness',
        description:
          'Anyone, no credential needed. 200 while the process serves HTTP; it never touches the database, so an orchestrator does not restart Keyward for a database outage it cannot fix. Use /readyz for "can serve requests now". (Like every route it refuses a NUL character in the query string.)',
        security: [], // no management credential
        response: { 200: z.object({ ok: z.literal(true), store: z.string() }), ...errors(INPUT_ERRORS) },
      },
    },
    async () => ({ ok: true as const, store: ctx.store.dialectName }),
  );
}
