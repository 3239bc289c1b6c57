import { z } from 'zod';
import { listAudit } from '../../service/audit.js';
import type { Ctx } from '../../service/context.js';
import { AccountParams, AuditEventOut, auditOut, errorResponses, Timestamp } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Query = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().optional().describe('Only events strictly before this time (for paging)'),
});

export function registerListAudit(app: App, ctx: Ctx) {
  app.get(
    '/v1/accounts/:accountId/audit',
    {
      schema: {
        tags: ['audit'],
        summary: "The account's audit log, newest first (admins)",
        security: BEARER,
        params: AccountParams,
        querystring: Query,
        response: { 200: z.object({ events: z.array(AuditEventOut), nextBefore: Timestamp.nullable() }), ...errorResponses },
      },
    },
    async (req) => {
      const events = await listAudit(ctx, await actorOf(ctx, req), req.params.accountId, {
        limit: req.query.limit,
        ...(req.query.before !== undefined && { before: req.query.before }),
      });
      const last = events.at(-1);
      return { events: events.map(auditOut), nextBefore: events.length === req.query.limit && last ? last.createdAt : null };
    },
  );
}
