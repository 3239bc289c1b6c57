import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { authenticate } from '../auth/authenticate.js';
import { bearerToken } from '../auth/bearer.js';
import type { AuthCtx } from '../auth/context.js';
import type { Actor } from '../service/context.js';
import { bindLogIds } from './log-options.js';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** Authenticates the management caller of this request. */
export async function actorOf(ctx: AuthCtx, req: FastifyRequest): Promise<Actor> {
  const principal = await authenticate(ctx, bearerToken(req.headers.authorization));
  bindLogIds(req.log, { accountId: principal.accountId, userId: principal.userId, keyId: principal.viaKeyId });
  return { principal, ip: req.ip };
}

export const BEARER = [{ bearer: [] }];
