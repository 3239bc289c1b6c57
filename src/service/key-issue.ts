import type { KeyKind } from '../core/catalogue.js';
import { KeywardError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { displayStart, generateKey, hashSecret } from '../core/key-format.js';
import type { AccessKey, Account } from '../core/model.js';
import { lockAccount } from '../store/repos/accounts.js';
import { countLiveCustomerKeys, countLiveKeys, insertKey } from '../store/repos/keys.js';
import type { Db } from '../store/store.js';
import type { Ctx } from './context.js';

export interface KeyDraft {
  accountId: string;
  applicationId: string | null;
  kind: KeyKind;
  name: string;
  description: string;
  scopes: string[];
  roles: string[];
  expiresAt: number | null;
  createdBy: string;
}

/** A new key record and its secret; nothing is stored yet. */
export function draftKey(ctx: Ctx, d: KeyDraft): { key: AccessKey; secret: string } {
  const now = ctx.now();
  const secret = generateKey();
  return {
    secret,
    key: {
      id: newId('key'),
      ...d,
      start: displayStart(secret),
      status: 'active',
      createdAt: now,
      updatedAt: now,
      revokedAt: null,
      lastUsedAt: null,
      usageCount: 0,
    },
  };
}

/**
 * Inserts a key inside `tx` if its container (the application, or the account for customer
 * keys) stays within the account's limit. The account row lock serialises concurrent
 * creations; `replacing` is a live key of the same container that this one supersedes
 * (rotation), which therefore does not count.
 */
export async function insertKeyWithinLimit(
  tx: Db,
  account: Account,
  key: AccessKey,
  secret: string,
  now: number,
  replacing = 0,
): Promise<void> {
  await lockAccount(tx, account.id);
  const live =
    (key.applicationId !== null ? await countLiveKeys(tx, key.applicationId, now) : await countLiveCustomerKeys(tx, account.id, now)) -
    replacing;
  if (live >= account.maxKeysPerApplication) {
    const where = key.applicationId !== null ? 'The application has' : 'The account has';
    const what = key.applicationId !== null ? 'active access keys' : 'active customer keys';
    throw new KeywardError(
      'KEY_LIMIT_REACHED',
      `${where} ${live} ${what}, its maximum is ${account.maxKeysPerApplication}. Revoke one first.`,
      { limit: account.maxKeysPerApplication },
    );
  }
  await insertKey(tx, key, hashSecret(secret));
}
