import { sql } from 'kysely';
import type { Device, DeviceStatus } from '../../core/model.js';
import { sealedWith } from '../../crypto/secret-box.js';
import type { DeviceRow } from '../schema.js';
import type { Db } from '../store.js';
import { keyset, matchesAny, type Page, type Paging, pageOf, type SortKey } from './paging.js';

/** The master key id stored beside a sealed secret: always the one its envelope names. */
const keyIdOf = (sealed: string | null) => (sealed === null ? null : sealedWith(sealed));

function toDevice(r: DeviceRow): Device {
  return {
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    status: r.status,
    secretSource: r.secret_enc === null ? 'shared' : 'own',
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
    usageCount: Number(r.usage_count ?? 0),
    rejectedCount: Number(r.rejected_count ?? 0),
    secretUpdatedAt: r.secret_updated_at,
  };
}

/** `sealedSecret` null: the device signs with the account's shared secret. */
export async function insertDevice(db: Db, d: Omit<Device, 'usageCount' | 'rejectedCount'>, sealedSecret: string | null): Promise<void> {
  await db
    .insertInto('devices')
    .values({
      id: d.id,
      account_id: d.accountId,
      name: d.name,
      status: d.status,
      secret_enc: sealedSecret,
      master_key_id: keyIdOf(sealedSecret),
      created_at: d.createdAt,
      updated_at: d.updatedAt,
      last_used_at: d.lastUsedAt,
      secret_updated_at: d.secretUpdatedAt,
    })
    .execute();
}

export async function findDevice(db: Db, accountId: string, id: string): Promise<Device | undefined> {
  const row = await db.selectFrom('devices').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
  return row && toDevice(row);
}

export const DEVICE_SORTS = {
  created: { expr: sql<number>`devices.created_at`, numeric: true },
  name: { expr: sql<string>`lower(devices.name)`, numeric: false },
  lastUsed: { expr: sql<number>`coalesce(devices.last_used_at, 0)`, numeric: true },
} as const satisfies Record<string, SortKey>;
export type DeviceSort = keyof typeof DEVICE_SORTS;

export interface DeviceFilter {
  status?: DeviceStatus | undefined;
  secretSource?: 'own' | 'shared' | undefined;
  /** Case-insensitive substring of the name or the device ID. */
  q?: string | undefined;
}

export async function listDevices(db: Db, accountId: string): Promise<Device[]> {
  return (await pageDevices(db, accountId, {}, 'created', { order: 'asc' })).items;
}

export async function pageDevices(db: Db, accountId: string, f: DeviceFilter, sort: DeviceSort, paging: Paging): Promise<Page<Device>> {
  let q = db.selectFrom('devices').selectAll('devices').where('devices.account_id', '=', accountId);
  if (f.status !== undefined) q = q.where('devices.status', '=', f.status);
  if (f.secretSource !== undefined) q = q.where('devices.secret_enc', f.secretSource === 'shared' ? 'is' : 'is not', null);
  if (f.q) q = q.where(matchesAny(['devices.name', 'devices.id'], f.q));
  const rows = await keyset(q, DEVICE_SORTS[sort], 'devices.id', paging).execute();
  return pageOf(rows, DEVICE_SORTS[sort], paging, toDevice);
}

export async function updateDevice(db: Db, id: string, patch: { name?: string; status?: DeviceStatus; updatedAt: number }): Promise<void> {
  await db
    .updateTable('devices')
    .set({
      updated_at: patch.updatedAt,
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.status !== undefined && { status: patch.status }),
    })
    .where('id', '=', id)
    .execute();
}

/** Gives the device a new sealed own secret, or (null) moves it to the shared secret. */
export async function setDeviceSecret(db: Db, id: string, sealedSecret: string | null, now: number): Promise<void> {
  await db
    .updateTable('devices')
    .set({ secret_enc: sealedSecret, master_key_id: keyIdOf(sealedSecret), secret_updated_at: now, updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function deleteDevice(db: Db, id: string): Promise<void> {
  await db.deleteFrom('device_usage').where('device_id', '=', id).execute();
  await db.deleteFrom('devices').where('id', '=', id).execute();
}

/** Moves every own-secret device of the account to the shared secret; returns how many moved. */
export async function clearOwnSecrets(db: Db, accountId: string, now: number): Promise<number> {
  const res = await db
    .updateTable('devices')
    .set({ secret_enc: null, master_key_id: null, secret_updated_at: now, updated_at: now })
    .where('account_id', '=', accountId)
    .where('secret_enc', 'is not', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Shared-secret devices follow a shared reset: their secret changed too. */
export async function markSharedDevicesRotated(db: Db, accountId: string, now: number): Promise<void> {
  await db
    .updateTable('devices')
    .set({ secret_updated_at: now })
    .where('account_id', '=', accountId)
    .where('secret_enc', 'is', null)
    .execute();
}

export interface DeviceSigningRecord {
  device: Device;
  /** The sealed secret the device signs with: its own, else the account's shared one (null if none yet). */
  sealedSecret: string | null;
}

export async function findDeviceForSigning(db: Db, deviceId: string): Promise<DeviceSigningRecord | undefined> {
  const row = await db
    .selectFrom('devices')
    .leftJoin('account_shared_secrets as s', 's.account_id', 'devices.account_id')
    .selectAll('devices')
    .select('s.secret_enc as shared_secret_enc')
    .where('devices.id', '=', deviceId)
    .executeTakeFirst();
  if (!row) return undefined;
  const { shared_secret_enc, ...device } = row;
  return { device: toDevice(device), sealedSecret: device.secret_enc ?? shared_secret_enc };
}

/** Every own secret, sealed, for re-encryption under a new master key. */
export async function listSealedDeviceSecrets(db: Db): Promise<{ id: string; sealed: string }[]> {
  const rows = await db.selectFrom('devices').select(['id', 'secret_enc']).where('secret_enc', 'is not', null).orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, sealed: r.secret_enc as string }));
}

/** Replaces a sealed secret without touching any timestamp: the plaintext is unchanged. */
export async function resealDeviceSecret(db: Db, id: string, sealed: string): Promise<void> {
  await db
    .updateTable('devices')
    .set({ secret_enc: sealed, master_key_id: keyIdOf(sealed) })
    .where('id', '=', id)
    .execute();
}

/** How many own secrets each master key sealed (`keyId` null: not recorded). */
export async function countDeviceSecretsByKey(db: Db): Promise<{ keyId: string | null; count: number }[]> {
  const rows = await db
    .selectFrom('devices')
    .select((eb) => ['master_key_id', eb.fn.countAll<number>().as('n')])
    .where('secret_enc', 'is not', null)
    .groupBy('master_key_id')
    .execute();
  return rows.map((r) => ({ keyId: r.master_key_id, count: Number(r.n) }));
}

/** A device's name, for events that name it (undefined once it is deleted). */
export async function findDeviceName(db: Db, id: string): Promise<string | undefined> {
  return (await db.selectFrom('devices').select('name').where('id', '=', id).executeTakeFirst())?.name;
}
