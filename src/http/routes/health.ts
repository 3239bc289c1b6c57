import { z } from 'zod';
import type { Ctx } from '../../service/context.js';
import type { App } from '../types.js';

export function registerHealth(app: App, ctx: Ctx) {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['ops'],
        summary: 'Liveness',
        description:
          'Always 200 while the process serves HTTP; it never touches the database, so an orchestrator does not restart Keyward for a database outage it cannot fix. Use /readyz for "can serve requests now".',
        response: { 200: z.object({ ok: z.literal(true), store: z.string() }) },
      },
    },
    async () => ({ ok: true as const, store: ctx.store.dialectName }),
  );
}
