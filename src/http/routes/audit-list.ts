import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { listAudit } from '../../service/audit.js';
import { Cursor, decodeCursor, encodeCursor } from '../cursor.js';
import { AccountParams, AuditEventOut, auditOut, BEARER_ERRORS, errors, INPUT_ERRORS } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Query = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: Cursor.optional(),
});

export function registerListAudit(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/audit',
    {
      schema: {
        tags: ['audit'],
        operationId: 'listAuditEvents',
        summary: "The account's audit log, newest first (admins)",
        description:
          'Account admins and the operator (others get 403 FORBIDDEN). Pages newest first by (time, id), so events recorded in the same millisecond are neither lost nor repeated. Pass `nextCursor` as `cursor` for the next page; it is null on the last page.',
        security: BEARER,
        params: AccountParams,
        querystring: Query,
        response: {
          200: z.object({
            events: z.array(AuditEventOut),
            nextCursor: z.string().nullable().describe('Opaque; pass as `cursor` for the next page. Null: no more events.'),
          }),
          ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND']),
        },
      },
    },
    async (req) => {
      const after = req.query.cursor !== undefined ? decodeCursor(req.query.cursor) : null;
      const { events, more } = await listAudit(ctx, await actorOf(ctx, req), req.params.accountId, {
        limit: req.query.limit,
        ...(after !== null && { after }),
      });
      const last = events.at(-1);
      return { events: events.map(auditOut), nextCursor: more && last ? encodeCursor(last) : null };
    },
  );
}
