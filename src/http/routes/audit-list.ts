import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { AUDIT_ACTIONS, type AuditAction, type AuditTargetType } from '../../core/audit-actions.js';
import { listAudit } from '../../service/audit.js';
import { Cursor, decodeCursor, encodeCursor } from '../cursor.js';
import { AccountParams, AuditEventOut, auditOut, BEARER_ERRORS, errors, Id, INPUT_ERRORS } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const ACTIONS = Object.keys(AUDIT_ACTIONS) as AuditAction[];
/** The nouns of the actions (`key` for `key.create`, `key.revoke`, …): a filter on any of them. */
const NOUNS = [...new Set(ACTIONS.map((a) => a.split('.')[0] as string))];
const TARGET_TYPES = [...new Set(Object.values(AUDIT_ACTIONS))] as [AuditTargetType, ...AuditTargetType[]];

const Millis = z.coerce.number().int().min(0).max(8_640_000_000_000_000);

const Query = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: Cursor.optional(),
  actor: Id.optional().describe('Only events done by this user ID'),
  action: z
    .enum([...ACTIONS, ...NOUNS] as [string, ...string[]])
    .optional()
    .describe('Only this action (`key.revoke`), or every action on one kind of thing (`key`)'),
  targetType: z.enum(TARGET_TYPES).optional().describe('Only events on this kind of target'),
  targetId: Id.optional().describe('Only events on this target ID'),
  from: Millis.optional().describe('Only events at or after this time (epoch ms)'),
  to: Millis.optional().describe('Only events before this time (epoch ms)'),
});

const EventOut = AuditEventOut.extend({
  actorName: z.string().nullable().describe("The actor's name (or email) now; null for the system or an unknown user"),
  targetName: z.string().nullable().describe("The target's name now, else the name recorded with the event; null when neither is known"),
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
          "Account admins and the operator (others get 403 FORBIDDEN). Pages newest first by (time, id), so events recorded in the same millisecond are neither lost nor repeated. Pass `nextCursor` as `cursor` (with the same filters) for the next page; it is null on the last page. `actor`, `action`, `targetType`, `targetId`, `from` and `to` filter. Each event carries `actorName` and `targetName`, read from this account's own users, applications, keys, devices and webhooks.",
        security: BEARER,
        params: AccountParams,
        querystring: Query,
        response: {
          200: z.object({
            events: z.array(EventOut),
            nextCursor: z.string().nullable().describe('Opaque; pass as `cursor` for the next page. Null: no more events.'),
          }),
          ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND']),
        },
      },
    },
    async (req) => {
      const q = req.query;
      const after = q.cursor !== undefined ? decodeCursor(q.cursor) : null;
      const actions =
        q.action === undefined
          ? undefined
          : q.action.includes('.')
            ? [q.action as AuditAction]
            : ACTIONS.filter((a) => a.startsWith(`${q.action}.`));
      const { events, more, names } = await listAudit(ctx, await actorOf(ctx, req), req.params.accountId, {
        limit: q.limit,
        ...(after !== null && { after }),
        filter: { actorId: q.actor, actions, targetType: q.targetType, targetId: q.targetId, from: q.from, to: q.to },
      });
      const last = events.at(-1);
      return {
        events: events.map((e) => {
          const recorded = typeof e.details.name === 'string' ? e.details.name : null;
          return {
            ...auditOut(e),
            actorName: e.actorId === null ? null : (names.get(e.actorId) ?? null),
            targetName: names.get(e.targetId) ?? recorded,
          };
        }),
        nextCursor: more && last ? encodeCursor(last) : null,
      };
    },
  );
}
