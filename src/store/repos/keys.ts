import { CompiledQuery, type InferResult, sql } from 'kysely';
import type { KeyKind } from '../../core/catalogue.js';
import { type AccessKey, type ApplicationStatus, applicationStatus, type StoredKeyStatus } from '../../core/model.js';
import type { QuotaSpec, RateLimitSpec } from '../../core/ratelimit.js';
import type { AccessKeyRow } from '../schema.js';
import type { Db, Store } from '../store.js';
import { parseList, parseQuota, parseRateLimits, toJson, toList } from './json.js';
import { keyset, matchesAny, type Page, type Paging, pageOf, type SortKey } from './paging.js';

function toKey(r: AccessKeyRow): AccessKey {
  return {
    id: r.id,
    accountId: r.account_id,
    applicationId: r.application_id,
    kind: r.kind,
    name: r.name,
    description: r.description,
    start: r.start,
    scopes: parseList(r.scopes),
    roles: parseList(r.roles),
    status: r.status,
    expiresAt: r.expires_at,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
    usageCount: Number(r.usage_count),
    ratelimits: parseRateLimits(r.ratelimits),
    quota: parseQuota(r.quota),
  };
}

export async function insertKey(db: Db, k: AccessKey, keyHash: string): Promise<void> {
  await insertKeys(db, [{ key: k, keyHash }]);
}

export async function findKey(db: Db, accountId: string, id: string): Promise<AccessKey | undefined> {
  const row = await db.selectFrom('access_keys').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
  return row && toKey(row);
}

export interface KeyFilter {
  applicationId?: string;
  kind?: KeyKind;
  /** Restrict to keys of applications created by this user (the `.mine` permissions). */
  applicationCreatedBy?: string;
  includeRevoked: boolean;
  /** Overrides `includeRevoked`: only keys in this state (`expired` and `active` measured at `now`). */
  status?: 'active' | 'expired' | 'revoked' | undefined;
  now?: number;
  /** Case-insensitive substring of the name, the id or the visible start. */
  q?: string | undefined;
}

export const KEY_SORTS = {
  created: { expr: sql<number>`access_keys.created_at`, numeric: true },
  name: { expr: sql<string>`lower(access_keys.name)`, numeric: false },
  lastUsed: { expr: sql<number>`coalesce(access_keys.last_used_at, 0)`, numeric: true },
} as const satisfies Record<string, SortKey>;
export type KeySort = keyof typeof KEY_SORTS;

export async function listKeys(db: Db, accountId: string, f: KeyFilter): Promise<AccessKey[]> {
  return (await pageKeys(db, accountId, f, 'created', { order: 'asc' })).items;
}

/** One page of the account's keys matching `f`, ordered by `sort` then id. */
export async function pageKeys(db: Db, accountId: string, f: KeyFilter, sort: KeySort, paging: Paging): Promise<Page<AccessKey>> {
  let q = db.selectFrom('access_keys').selectAll('access_keys').where('access_keys.account_id', '=', accountId);
  if (f.applicationId !== undefined) q = q.where('access_keys.application_id', '=', f.applicationId);
  if (f.kind !== undefined) q = q.where('access_keys.kind', '=', f.kind);
  const now = f.now ?? Date.now();
  if (f.status === 'revoked') q = q.where('access_keys.status', '=', 'revoked');
  else if (f.status === 'active') {
    q = q
      .where('access_keys.status', '=', 'active')
      .where((eb) => eb.or([eb('access_keys.expires_at', 'is', null), eb('access_keys.expires_at', '>', now)]));
  } else if (f.status === 'expired') {
    q = q.where('access_keys.status', '=', 'active').where('access_keys.expires_at', '<=', now);
  } else if (!f.includeRevoked) q = q.where('access_keys.status', '=', 'active');
  if (f.q) q = q.where(matchesAny(['access_keys.name', 'access_keys.id', 'access_keys.start'], f.q));
  if (f.applicationCreatedBy !== undefined) {
    const creator = f.applicationCreatedBy;
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('applications')
          .select('applications.id')
          .whereRef('applications.id', '=', 'access_keys.application_id')
          .where('applications.created_by', '=', creator),
      ),
    );
  }
  const rows = await keyset(q, KEY_SORTS[sort], 'access_keys.id', paging).execute();
  return pageOf(rows, KEY_SORTS[sort], paging, toKey);
}

/** Active, unexpired keys of an application: the ones that count towards its limit. */
export async function countLiveKeys(db: Db, applicationId: string, now: number): Promise<number> {
  const row = await db
    .selectFrom('access_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('application_id', '=', applicationId)
    .where('status', '=', 'active')
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateKey(
  db: Db,
  id: string,
  patch: {
    name?: string;
    description?: string;
    status?: StoredKeyStatus;
    revokedAt?: number;
    expiresAt?: number | null;
    ratelimits?: RateLimitSpec[];
    quota?: QuotaSpec | null;
    updatedAt: number;
  },
): Promise<void> {
  await db
    .updateTable('access_keys')
    .set({
      updated_at: patch.updatedAt,
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.description !== undefined && { description: patch.description }),
      ...(patch.status !== undefined && { status: patch.status }),
      ...(patch.revokedAt !== undefined && { revoked_at: patch.revokedAt }),
      ...(patch.expiresAt !== undefined && { expires_at: patch.expiresAt }),
      ...(patch.ratelimits !== undefined && { ratelimits: toJson(patch.ratelimits) }),
      ...(patch.quota !== undefined && { quota: patch.quota === null ? null : toJson(patch.quota) }),
    })
    .where('id', '=', id)
    .execute();
}

export async function deleteKey(db: Db, id: string): Promise<void> {
  await db.deleteFrom('access_keys').where('id', '=', id).execute();
}

/** Everything verification needs about a key, in one indexed read. */
export interface KeyVerificationRecord {
  key: AccessKey;
  /** The key's application as a caller sees it (`disabled` when its creator was deleted); null for customer keys. */
  applicationStatus: ApplicationStatus | null;
  /** Who created the key's application: deleting that user disables every key in it. */
  applicationCreatedBy: string | null;
  /** The key's own creator was deleted. */
  creatorDeleted: boolean;
  /** The key's account's limits (its own and its plan's name): they apply to every key of the account. */
  account: { ratelimits: RateLimitSpec[]; quota: QuotaSpec | null; plan: string | null };
}

function verificationQuery(db: Db, keyHash: string) {
  return db
    .selectFrom('access_keys')
    .innerJoin('users', 'users.id', 'access_keys.created_by')
    .leftJoin('applications', 'applications.id', 'access_keys.application_id')
    .leftJoin('users as app_creator', 'app_creator.id', 'applications.created_by')
    .innerJoin('accounts', 'accounts.id', 'access_keys.account_id')
    .selectAll('access_keys')
    .select([
      'applications.status as app_status',
      'applications.created_by as app_created_by',
      'app_creator.deleted_at as app_creator_deleted_at',
      'users.deleted_at as creator_deleted_at',
      'accounts.ratelimits as account_ratelimits',
      'accounts.quota as account_quota',
      'accounts.plan as account_plan',
    ])
    .where('access_keys.key_hash', '=', keyHash);
}

/** The verification query's SQL per handle: built and compiled once, then run with each hash. */
const verificationSql = new WeakMap<Db, string>();

export async function findKeyForVerification(db: Db, keyHash: string): Promise<KeyVerificationRecord | undefined> {
  let text = verificationSql.get(db);
  if (text === undefined) {
    const compiled = verificationQuery(db, keyHash).compile();
    if (compiled.parameters.length !== 1) throw new Error('verification query: expected one parameter');
    text = compiled.sql;
    verificationSql.set(db, text);
  }
  const { rows } = await db.executeQuery<InferResult<ReturnType<typeof verificationQuery>>[number]>(CompiledQuery.raw(text, [keyHash]));
  const row = rows[0];
  if (!row) return undefined;
  const {
    app_status,
    app_created_by,
    app_creator_deleted_at,
    creator_deleted_at,
    account_ratelimits,
    account_quota,
    account_plan,
    ...keyRow
  } = row;
  return {
    key: toKey(keyRow),
    applicationStatus: app_status === null ? null : applicationStatus(app_status, app_creator_deleted_at !== null),
    applicationCreatedBy: app_created_by,
    creatorDeleted: creator_deleted_at !== null,
    account: { ratelimits: parseRateLimits(account_ratelimits), quota: parseQuota(account_quota), plan: account_plan },
  };
}

/** The key columns of the synchronous read, in the order its rows carry them (then `VERIFICATION_EXTRAS`). */
const KEY_COLUMNS = [
  'id',
  'account_id',
  'application_id',
  'kind',
  'name',
  'description',
  'start',
  'scopes',
  'roles',
  'status',
  'expires_at',
  'created_by',
  'created_at',
  'updated_at',
  'revoked_at',
  'last_used_at',
  'usage_count',
  'ratelimits',
  'quota',
] as const satisfies readonly (keyof AccessKeyRow)[];

/** The verification query with its columns spelled out in a fixed order: rows read as arrays map by position. */
function verificationQueryByPosition(db: Db, keyHash: string) {
  return verificationQuery(db, keyHash)
    .clearSelect()
    .select([
      ...KEY_COLUMNS.map((c) => `access_keys.${c}` as const),
      'applications.status as app_status',
      'applications.created_by as app_created_by',
      'app_creator.deleted_at as app_creator_deleted_at',
      'users.deleted_at as creator_deleted_at',
      'accounts.ratelimits as account_ratelimits',
      'accounts.quota as account_quota',
      'accounts.plan as account_plan',
    ]);
}

const positionalSql = new WeakMap<Db, string>();

/**
 * `findKeyForVerification` answered synchronously, where the store can (`Store.readRowsNow`:
 * SQLite, on its own read connection): the record, `null` when no key has this hash, or
 * `undefined` when only the asynchronous read can tell (PostgreSQL, a failed read). The same
 * query and the same record as the asynchronous read (pinned by test/api/key-lookup-now.test.ts).
 *
 * A verification that misses the cache costs this read, so it skips what it can: no Kysely
 * compile or driver, rows as arrays, and the JSON lists most keys share (`[]`, a scope list)
 * parsed once and shared, frozen, between records (cached records are frozen anyway), as is
 * the account part of accounts without limits of their own.
 */
export function findKeyForVerificationNow(store: Store, keyHash: string): KeyVerificationRecord | null | undefined {
  let text = positionalSql.get(store.db);
  if (text === undefined) {
    const compiled = verificationQueryByPosition(store.db, keyHash).compile();
    if (compiled.parameters.length !== 1) throw new Error('verification query: expected one parameter');
    text = compiled.sql;
    positionalSql.set(store.db, text);
  }
  const rows = store.readRowsNow(text, [keyHash]);
  if (rows === undefined) return undefined;
  const r = rows[0];
  if (r === undefined) return null;
  const appStatus = r[19] as ApplicationStatusRow | null;
  const appCreatedBy = r[20] as string | null;
  const accountQuota = r[24] as string | null;
  return {
    key: {
      id: r[0] as string,
      accountId: shared(r[1] as string),
      applicationId: r[2] === null ? null : shared(r[2] as string),
      kind: r[3] as AccessKey['kind'],
      name: r[4] as string,
      description: r[5] as string,
      start: r[6] as string,
      scopes: sharedList(r[7] as string),
      roles: sharedList(r[8] as string),
      status: r[9] as AccessKey['status'],
      expiresAt: r[10] as number | null,
      createdBy: shared(r[11] as string),
      createdAt: r[12] as number,
      updatedAt: r[13] as number,
      revokedAt: r[14] as number | null,
      lastUsedAt: r[15] as number | null,
      usageCount: Number(r[16]),
      ratelimits: sharedRateLimits(r[17] as string),
      quota: parseQuota(r[18] as string | null),
    },
    applicationStatus: appStatus === null ? null : applicationStatus(appStatus, r[21] !== null),
    applicationCreatedBy: appCreatedBy === null ? null : shared(appCreatedBy),
    creatorDeleted: r[22] !== null,
    account: accountLimits(r[23] as string, accountQuota, r[25] as string | null),
  };
}

/** An account without limits of its own shares one frozen limits object per plan; others are parsed per record. */
function accountLimits(ratelimits: string, quota: string | null, plan: string | null): KeyVerificationRecord['account'] {
  if (ratelimits !== '[]' || quota !== null) return { ratelimits: parseRateLimits(ratelimits), quota: parseQuota(quota), plan };
  let kept = sharedAccounts.get(plan);
  if (kept === undefined) {
    if (sharedAccounts.size >= SHARED_MAX) sharedAccounts.clear();
    kept = Object.freeze({ ratelimits: NO_RATELIMITS, quota: null, plan: plan === null ? null : shared(plan) });
    sharedAccounts.set(plan, kept);
  }
  return kept;
}

type ApplicationStatusRow = Parameters<typeof applicationStatus>[0];

/**
 * Values many cached records repeat (an account id, a creator, a scope list), kept once: a cache
 * of 100k records then holds one copy of each instead of 100k, which is memory the garbage
 * collector no longer walks. Bounded; emptied when full (it only saves memory, never decides).
 */
const SHARED_MAX = 4096;
const sharedStrings = new Map<string, string>();
const sharedLists = new Map<string, readonly string[]>();
const NO_RATELIMITS: RateLimitSpec[] = Object.freeze([]) as unknown as RateLimitSpec[];
const sharedAccounts = new Map<string | null, KeyVerificationRecord['account']>();

function shared(s: string): string {
  const kept = sharedStrings.get(s);
  if (kept !== undefined) return kept;
  if (sharedStrings.size >= SHARED_MAX) sharedStrings.clear();
  sharedStrings.set(s, s);
  return s;
}

function sharedList(text: string): string[] {
  let list = sharedLists.get(text);
  if (list === undefined) {
    if (sharedLists.size >= SHARED_MAX) sharedLists.clear();
    list = Object.freeze(parseList(text).map(shared));
    sharedLists.set(text, list);
  }
  return list as string[];
}

/** Most keys and accounts have no limits: one frozen empty list for all of them; others are parsed per record. */
function sharedRateLimits(text: string): RateLimitSpec[] {
  return text === '[]' ? NO_RATELIMITS : parseRateLimits(text);
}

/** Active, unexpired customer keys of an account: the ones that count towards its customer-key limit. */
export async function countLiveCustomerKeys(db: Db, accountId: string, now: number): Promise<number> {
  const row = await db
    .selectFrom('access_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('kind', '=', 'customer')
    .where('status', '=', 'active')
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Many keys in one statement: bulk imports and the benchmark's store seeding. */
export async function insertKeys(db: Db, rows: readonly { key: AccessKey; keyHash: string }[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('access_keys')
    .values(
      rows.map(({ key: k, keyHash }) => ({
        id: k.id,
        account_id: k.accountId,
        application_id: k.applicationId,
        kind: k.kind,
        name: k.name,
        description: k.description,
        key_hash: keyHash,
        start: k.start,
        scopes: toList(k.scopes),
        roles: toList(k.roles),
        status: k.status,
        expires_at: k.expiresAt,
        created_by: k.createdBy,
        created_at: k.createdAt,
        updated_at: k.updatedAt,
        revoked_at: k.revokedAt,
        last_used_at: k.lastUsedAt,
        usage_count: k.usageCount,
        ratelimits: toJson(k.ratelimits),
        quota: k.quota === null ? null : toJson(k.quota),
      })),
    )
    .execute();
}
