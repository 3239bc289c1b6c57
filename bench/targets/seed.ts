import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { newId } from '../../src/core/ids.js';
import { displayStart, generateKey, hashSecret } from '../../src/core/key-format.js';
import type { AccessKey } from '../../src/core/model.js';
import { insertKeys } from '../../src/store/repos/keys.js';
import type { Store } from '../../src/store/store.js';

const ROWS_PER_INSERT = 500;
const INSERTS_PER_TRANSACTION = 40;

/**
 * Seeds `count` active keys in one application, straight through the store (limits are a
 * service rule and are deliberately bypassed). Only `sampleSize` secrets are real and
 * returned; the other rows carry hashes of random bytes, which nobody can present.
 */
export async function seedKeys(
  store: Store,
  t: { accountId: string; adminId: string; applicationId: string; count: number; sampleSize: number },
): Promise<string[]> {
  const sample: string[] = [];
  const now = Date.now();
  // Random hashes land all over the unique index: a larger page cache keeps 1M inserts in minutes.
  if (store.dialectName === 'sqlite') await sql`PRAGMA cache_size = -262144`.execute(store.db);
  let made = 0;
  const row = (): { key: AccessKey; keyHash: string } => {
    let keyHash: string;
    let start = 'kw_000000';
    if (sample.length < t.sampleSize && made % Math.max(1, Math.floor(t.count / t.sampleSize)) === 0) {
      const secret = generateKey();
      sample.push(secret);
      keyHash = hashSecret(secret);
      start = displayStart(secret);
    } else {
      keyHash = createHash('sha256').update(randomBytes(16)).digest('hex');
    }
    made++;
    return {
      keyHash,
      key: {
        id: newId('key'),
        accountId: t.accountId,
        applicationId: t.applicationId,
        kind: 'application',
        name: `seed ${made}`,
        description: '',
        start,
        scopes: ['device:read'],
        roles: [],
        ratelimits: [],
        quota: null,
        status: 'active',
        expiresAt: null,
        createdBy: t.adminId,
        createdAt: now,
        updatedAt: now,
        revokedAt: null,
        lastUsedAt: null,
        usageCount: 0,
      },
    };
  };
  while (made < t.count) {
    await store.transaction(async (tx) => {
      for (let i = 0; i < INSERTS_PER_TRANSACTION && made < t.count; i++) {
        const rows = Array.from({ length: Math.min(ROWS_PER_INSERT, t.count - made) }, row);
        await insertKeys(tx, rows);
      }
    });
  }
  return sample;
}
