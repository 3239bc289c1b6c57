import { newDeviceSecret } from '../core/device-secret.js';
import { KeywardError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Device, DeviceStatus } from '../core/model.js';
import { secretAad } from '../crypto/secret-box.js';
import {
  type DeviceFilter,
  type DeviceSort,
  deleteDevice as deleteDeviceRow,
  findDevice,
  insertDevice,
  pageDevices as pageDeviceRows,
  setDeviceSecret,
  updateDevice as updateDeviceRow,
} from '../store/repos/devices.js';
import type { Page, Paging } from '../store/repos/paging.js';
import { audit } from './audit.js';
import type { Actor, Ctx } from './context.js';
import { actorIdOf, emit } from './events.js';
import { authorizeOn } from './guards.js';
import { ensureSharedSecret } from './shared-secret.js';

async function loadDevice(ctx: Ctx, accountId: string, deviceId: string): Promise<Device> {
  const device = await findDevice(ctx.store.db, accountId, deviceId);
  if (!device) throw new KeywardError('DEVICE_NOT_FOUND');
  return withPendingUse(ctx, device);
}

/** A device as read, with its latest signed request this node has not written yet (counts are as of the last flush). */
function withPendingUse(ctx: Ctx, device: Device): Device {
  const pending = ctx.usage.pendingDeviceLastUsed(device.id);
  return pending !== null && (device.lastUsedAt === null || pending > device.lastUsedAt) ? { ...device, lastUsedAt: pending } : device;
}

/** The secret is returned here and on reset only; `null` when the device uses the shared secret. */
export async function createDevice(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  input: { name: string; useSharedSecret?: boolean | undefined },
): Promise<{ device: Device; secret: string | null }> {
  await authorizeOn(ctx, actor, accountId, { right: 'devices.manage' });
  const now = ctx.now();
  const shared = input.useSharedSecret === true;
  const device: Device = {
    id: newId('device'),
    accountId,
    name: input.name,
    status: 'active',
    secretSource: shared ? 'shared' : 'own',
    createdAt: now,
    updatedAt: now,
    lastUsedAt: null,
    usageCount: 0,
    rejectedCount: 0,
    secretUpdatedAt: now,
  };
  const secret = shared ? null : newDeviceSecret();
  await ctx.store.transaction(async (tx) => {
    if (shared) await ensureSharedSecret(ctx, tx, accountId);
    await insertDevice(tx, device, secret === null ? null : ctx.secrets.seal(secret, secretAad.device(device.id)));
    await audit(ctx, tx, actor, {
      accountId,
      action: 'device.create',
      targetId: device.id,
      details: { name: device.name, secretSource: device.secretSource },
    });
  });
  // A device ID looked up before it existed is remembered as unknown: drop that at once.
  ctx.changes.publish({ type: 'device', deviceId: device.id });
  return { device, secret };
}

export async function listDevices(ctx: Ctx, actor: Actor, accountId: string): Promise<Device[]> {
  return (await pageDevices(ctx, actor, accountId, {})).items;
}

/** One page of the account's devices, searched, filtered and sorted. */
export async function pageDevices(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  opts: DeviceFilter & { sort?: DeviceSort; paging?: Paging },
): Promise<Page<Device>> {
  await authorizeOn(ctx, actor, accountId, { right: 'devices.view' });
  const { sort, paging, ...filter } = opts;
  const page = await pageDeviceRows(ctx.store.db, accountId, filter, sort ?? 'created', paging ?? { order: 'asc' });
  return { ...page, items: page.items.map((d) => withPendingUse(ctx, d)) };
}

export async function getDevice(ctx: Ctx, actor: Actor, accountId: string, deviceId: string): Promise<Device> {
  await authorizeOn(ctx, actor, accountId, { right: 'devices.view' });
  return loadDevice(ctx, accountId, deviceId);
}

export async function updateDevice(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  deviceId: string,
  patch: { name?: string | undefined; status?: DeviceStatus | undefined },
): Promise<Device> {
  await authorizeOn(ctx, actor, accountId, { right: 'devices.manage' });
  await loadDevice(ctx, accountId, deviceId);
  const clean = {
    ...(patch.name !== undefined && { name: patch.name }),
    ...(patch.status !== undefined && { status: patch.status }),
  };
  await ctx.store.transaction(async (tx) => {
    await updateDeviceRow(tx, deviceId, { ...clean, updatedAt: ctx.now() });
    await audit(ctx, tx, actor, { accountId, action: 'device.update', targetId: deviceId, details: clean });
  });
  ctx.changes.publish({ type: 'device', deviceId });
  return loadDevice(ctx, accountId, deviceId);
}

export async function deleteDevice(ctx: Ctx, actor: Actor, accountId: string, deviceId: string): Promise<void> {
  await authorizeOn(ctx, actor, accountId, { right: 'devices.manage' });
  const device = await loadDevice(ctx, accountId, deviceId);
  await ctx.store.transaction(async (tx) => {
    await deleteDeviceRow(tx, deviceId);
    await audit(ctx, tx, actor, {
      accountId,
      action: 'device.delete',
      targetId: deviceId,
      details: { name: device.name },
    });
  });
  ctx.usage.forgetDevice(deviceId);
  ctx.changes.publish({ type: 'device', deviceId });
}

/** A new own secret (returned once), or a switch to the account's shared secret (`secret` null). */
export async function resetDeviceSecret(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  deviceId: string,
  input: { useSharedSecret: boolean },
): Promise<{ device: Device; secret: string | null }> {
  await authorizeOn(ctx, actor, accountId, { right: 'devices.manage' });
  const device = await loadDevice(ctx, accountId, deviceId);
  const secret = input.useSharedSecret ? null : newDeviceSecret();
  await ctx.store.transaction(async (tx) => {
    if (secret === null) await ensureSharedSecret(ctx, tx, accountId);
    await setDeviceSecret(tx, deviceId, secret === null ? null : ctx.secrets.seal(secret, secretAad.device(deviceId)), ctx.now());
    await audit(ctx, tx, actor, {
      accountId,
      action: 'device_secret.reset',
      targetId: deviceId,
      details: { secretSource: secret === null ? 'shared' : 'own' },
    });
    await emit(ctx, tx, 'device.secret_reset', accountId, {
      device: { id: deviceId, accountId, name: device.name, secretSource: secret === null ? 'shared' : 'own' },
      actorId: actorIdOf(actor),
    });
  });
  ctx.changes.publish({ type: 'device', deviceId });
  return { device: await loadDevice(ctx, accountId, deviceId), secret };
}
