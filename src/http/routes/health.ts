import { z } from 'zod';
import type { Ctx } from '../../service/context.js';
import type { App } from '../types.js';

export function registerHealth(app: App, ctx: Ctx) {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['ops'],
        summary: 'Liveness and store reachability',
        response: { 200: z.object({ ok: z.literal(true), store: z.string() }) },
      },
    },
    async () => {
      await ctx.store.db.selectFrom('accounts').select('id').limit(1).execute();
      return { ok: true as const, store: ctx.store.dialectName };
    },
  );
}
