import { KeywardError } from '../core/errors.js';
import { hashSecret, isWellFormedKey } from '../core/key-format.js';
import type { LeakPolicy } from '../core/leak-policy.js';
import { type AccessKey, keyStatus } from '../core/model.js';
import { findKeyForVerification, updateKey } from '../store/repos/keys.js';
import { findLeakPolicy, upsertLeakPolicy } from '../store/repos/leak-policies.js';
import { audit } from './audit.js';
import type { Actor, Ctx } from './context.js';
import { emit, keyEventData } from './events.js';
import { authorizeOn } from './guards.js';

export interface LeakItem {
  token: string;
  type: string;
  url?: string | null | undefined;
  source?: string | undefined;
}

/** GitHub's false-positive feedback format: the token's SHA-256 (never the token itself), its type, the label. */
export interface LeakVerdict {
  token_hash: string;
  token_type: string;
  label: 'true_positive' | 'false_positive';
}

/**
 * Each reported token: the format and checksum (a token failing them is no Keyward key: false
 * positive, no lookup), then its hash is looked up. A key found is a true positive whatever its
 * status; an active one gets its account's leak policy (revoke by default; rotate: it expires
 * after the policy's overlap, for its owner to replace it; notify). Each found key is audited
 * (`key.leak`) and sent as a key.leaked event (and key.revoked when revoked), in the
 * transaction of the change. Repeated tokens are judged once.
 */
export async function reportLeaks(ctx: Ctx, reporter: string, items: readonly LeakItem[]): Promise<LeakVerdict[]> {
  const verdicts: LeakVerdict[] = [];
  const judged = new Map<string, LeakVerdict['label']>();
  for (const item of items) {
    const tokenHash = hashSecret(item.token);
    let label = judged.get(tokenHash);
    if (label === undefined) {
      label = isWellFormedKey(item.token) ? await handleLeak(ctx, reporter, item, tokenHash) : 'false_positive';
      judged.set(tokenHash, label);
    }
    verdicts.push({ token_hash: tokenHash, token_type: item.type, label });
  }
  return verdicts;
}

async function handleLeak(ctx: Ctx, reporter: string, item: LeakItem, tokenHash: string): Promise<LeakVerdict['label']> {
  const record = await findKeyForVerification(ctx.store.db, tokenHash);
  if (!record) return 'false_positive';
  const key = record.key;
  const policy = await findLeakPolicy(ctx.store.db, key.accountId);
  const now = ctx.now();
  const live = keyStatus(key, now) === 'active';
  const taken: 'revoke' | 'rotate' | 'notify' | 'none' = live ? policy.mode : 'none';
  let after: AccessKey = key;
  if (taken === 'revoke') after = { ...key, status: 'revoked', revokedAt: now, updatedAt: now };
  if (taken === 'rotate')
    after = { ...key, expiresAt: Math.min(key.expiresAt ?? Number.POSITIVE_INFINITY, now + policy.overlapSeconds * 1000), updatedAt: now };
  const source = (item.source ?? reporter).slice(0, 100);
  const url = item.url ? item.url.slice(0, 2048) : null;
  await ctx.store.transaction(async (tx) => {
    if (taken === 'revoke') await updateKey(tx, key.id, { status: 'revoked', revokedAt: now, updatedAt: now });
    if (taken === 'rotate') await updateKey(tx, key.id, { expiresAt: after.expiresAt, updatedAt: now });
    await audit(ctx, tx, null, {
      accountId: key.accountId,
      action: 'key.leak',
      targetId: key.id,
      details: { reporter, source, url, policy: taken, tokenType: item.type },
    });
    await emit(ctx, tx, 'key.leaked', key.accountId, { key: keyEventData(after, now), source, url, policy: taken });
    if (taken === 'revoke')
      await emit(ctx, tx, 'key.revoked', key.accountId, { key: keyEventData(after, now), actorId: null, reason: 'leaked' });
  });
  if (taken === 'revoke' || taken === 'rotate') ctx.changes.publish({ type: 'key', keyId: key.id });
  return 'true_positive';
}

export async function getLeakPolicy(ctx: Ctx, actor: Actor, accountId: string): Promise<LeakPolicy> {
  await authorizeOn(ctx, actor, accountId, { right: 'admin' });
  return findLeakPolicy(ctx.store.db, accountId);
}

export const MAX_LEAK_OVERLAP_SECONDS = 7 * 86_400;

export async function setLeakPolicy(ctx: Ctx, actor: Actor, accountId: string, policy: LeakPolicy): Promise<LeakPolicy> {
  await authorizeOn(ctx, actor, accountId, { right: 'admin' });
  if (policy.mode !== 'rotate' && policy.overlapSeconds !== 0) {
    throw new KeywardError('VALIDATION_FAILED', 'overlapSeconds applies to the rotate policy only: send 0.');
  }
  await ctx.store.transaction(async (tx) => {
    await upsertLeakPolicy(tx, accountId, policy, ctx.now());
    await audit(ctx, tx, actor, { accountId, action: 'leak_policy.update', targetId: accountId, details: { ...policy } });
  });
  return policy;
}
