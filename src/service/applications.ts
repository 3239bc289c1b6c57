import { KeywardError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Application } from '../core/model.js';
import { lockAccount } from '../store/repos/accounts.js';
import {
  type ApplicationFilter,
  type ApplicationSort,
  countActiveApplications,
  findApplication,
  insertApplication,
  pageApplications as pageApplicationRows,
  updateApplication as updateApplicationRow,
} from '../store/repos/applications.js';
import type { Page, Paging } from '../store/repos/paging.js';
import { audit } from './audit.js';
import type { Actor, Ctx } from './context.js';
import { actorIdOf, emit } from './events.js';
import { authorizeOn } from './guards.js';

export async function createApplication(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  input: { name: string; description?: string | undefined },
): Promise<Application> {
  const account = await authorizeOn(ctx, actor, accountId, { creates: 'application', right: 'applications.create' });
  const now = ctx.now();
  const app: Application & { status: 'active' } = {
    id: newId('application'),
    accountId,
    name: input.name,
    description: input.description ?? '',
    status: 'active',
    createdBy: actor.principal.userId,
    createdAt: now,
    updatedAt: now,
    revokedAt: null,
  };
  await ctx.store.transaction(async (tx) => {
    await lockAccount(tx, accountId);
    const active = await countActiveApplications(tx, accountId);
    if (active >= account.maxApplications) {
      throw new KeywardError(
        'APPLICATION_LIMIT_REACHED',
        `The account has ${active} active applications, its maximum is ${account.maxApplications}. Revoke one first.`,
        { limit: account.maxApplications },
      );
    }
    await insertApplication(tx, app);
    await audit(ctx, tx, actor, {
      accountId,
      action: 'application.create',
      targetId: app.id,
      details: { name: app.name },
    });
  });
  return app;
}

export async function listApplications(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  opts: { includeRevoked: boolean },
): Promise<Application[]> {
  return (await pageApplications(ctx, actor, accountId, opts)).items;
}

/** One page of the account's applications, searched, filtered and sorted. */
export async function pageApplications(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  opts: ApplicationFilter & { sort?: ApplicationSort; paging?: Paging },
): Promise<Page<Application>> {
  await authorizeOn(ctx, actor, accountId, { right: 'applications.view' });
  const { sort, paging, ...filter } = opts;
  return pageApplicationRows(ctx.store.db, accountId, filter, sort ?? 'created', paging ?? { order: 'asc' });
}

/** Loads an application of the account or fails with APPLICATION_NOT_FOUND; no permission check. */
export async function loadApplication(ctx: Ctx, accountId: string, applicationId: string): Promise<Application> {
  const app = await findApplication(ctx.store.db, accountId, applicationId);
  if (!app) throw new KeywardError('APPLICATION_NOT_FOUND');
  return app;
}

export async function getApplication(ctx: Ctx, actor: Actor, accountId: string, applicationId: string): Promise<Application> {
  await authorizeOn(ctx, actor, accountId, { right: 'applications.view' });
  return loadApplication(ctx, accountId, applicationId);
}

export async function updateApplication(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  applicationId: string,
  patch: { name?: string | undefined; description?: string | undefined },
): Promise<Application> {
  await authorizeOn(ctx, actor, accountId, { right: 'applications.edit' });
  const app = await loadApplication(ctx, accountId, applicationId);
  if (app.status === 'revoked') throw new KeywardError('APPLICATION_REVOKED');
  await ctx.store.transaction(async (tx) => {
    await updateApplicationRow(tx, applicationId, { ...patch, updatedAt: ctx.now() });
    await audit(ctx, tx, actor, {
      accountId,
      action: 'application.update',
      targetId: applicationId,
      details: patch,
    });
  });
  return loadApplication(ctx, accountId, applicationId);
}

/** Revoking an application disables every key in it at once; the keys keep their own status. */
export async function revokeApplication(ctx: Ctx, actor: Actor, accountId: string, applicationId: string): Promise<Application> {
  await authorizeOn(ctx, actor, accountId, { right: 'applications.revoke' });
  const app = await loadApplication(ctx, accountId, applicationId);
  if (app.status === 'revoked') throw new KeywardError('ALREADY_REVOKED');
  const now = ctx.now();
  await ctx.store.transaction(async (tx) => {
    await updateApplicationRow(tx, applicationId, { status: 'revoked', revokedAt: now, updatedAt: now });
    await audit(ctx, tx, actor, { accountId, action: 'application.revoke', targetId: applicationId });
    await emit(ctx, tx, 'application.revoked', accountId, {
      application: { id: app.id, accountId, name: app.name },
      actorId: actorIdOf(actor),
    });
  });
  ctx.changes.publish({ type: 'application', applicationId });
  return loadApplication(ctx, accountId, applicationId);
}
