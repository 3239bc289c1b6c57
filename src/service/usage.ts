import { KeywardError } from '../core/errors.js';
import type { AccessKey } from '../core/model.js';
import { listDevices as listDeviceRows } from '../store/repos/devices.js';
import { listDeviceUsage, listKeyUsage } from '../store/repos/usage.js';
import type { Actor, Ctx } from './context.js';
import { getDevice } from './devices.js';
import { authorizeOn } from './guards.js';
import { getKey, listAccountKeys } from './keys.js';
import { HOUR_MS } from './usage-recorder.js';

/** Longest range one usage query may cover: 92 days of hourly points per key. */
export const MAX_USAGE_RANGE_MS = 92 * 24 * HOUR_MS;

type Point = { t: number; count: number; rejected: number };

export interface UsageSeries {
  keyId: string;
  points: Point[];
}

export interface DeviceUsageSeries {
  deviceId: string;
  points: Point[];
}

/**
 * Hourly uses (and refusals by a rate limit or quota) of one key, of one device, or of every key
 * and device the caller may view, in [from, to). Buffered uses are flushed first so the chart
 * includes the last second. Without `keyId` or `deviceId`, keys need the right to view keys and
 * devices `devices.view`: a caller holding only one of them gets the other list empty, one
 * holding neither 403 FORBIDDEN.
 */
export async function getUsage(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  q: { keyId?: string | undefined; deviceId?: string | undefined; from?: number | undefined; to?: number | undefined },
): Promise<{ series: UsageSeries[]; devices: DeviceUsageSeries[] }> {
  const to = q.to ?? ctx.now();
  const from = q.from ?? to - 7 * 24 * HOUR_MS;
  if (from >= to) throw new KeywardError('VALIDATION_FAILED', '`from` must be before `to`.');
  if (to - from > MAX_USAGE_RANGE_MS) throw new KeywardError('VALIDATION_FAILED', 'The range may cover at most 92 days.');
  if (q.keyId !== undefined && q.deviceId !== undefined) {
    throw new KeywardError('VALIDATION_FAILED', 'Give `keyId` or `deviceId`, not both.');
  }
  let keys: AccessKey[] = [];
  let deviceIds: string[] = [];
  if (q.keyId !== undefined) keys = [await getKey(ctx, actor, accountId, q.keyId)];
  else if (q.deviceId !== undefined) deviceIds = [(await getDevice(ctx, actor, accountId, q.deviceId)).id];
  else {
    const [k, d] = await Promise.allSettled([
      listAccountKeys(ctx, actor, accountId, { includeRevoked: true }),
      authorizeOn(ctx, actor, accountId, { right: 'devices.view' }).then(() => listDeviceRows(ctx.store.db, accountId)),
    ]);
    const forbidden = (r: PromiseSettledResult<unknown>) =>
      r.status === 'rejected' && r.reason instanceof KeywardError && r.reason.code === 'FORBIDDEN';
    // Either list may be refused alone; anything else (ACCOUNT_NOT_FOUND, the store) fails the request.
    if (k.status === 'rejected' && (!forbidden(k) || d.status === 'rejected')) throw k.reason;
    if (d.status === 'rejected' && !forbidden(d)) throw d.reason;
    keys = k.status === 'fulfilled' ? k.value : [];
    deviceIds = d.status === 'fulfilled' ? d.value.map((x) => x.id) : [];
  }
  await ctx.usage.flush();
  const start = Math.floor(from / HOUR_MS) * HOUR_MS;
  const [rows, deviceRows] = await Promise.all([
    listKeyUsage(
      ctx.store.db,
      keys.map((k) => k.id),
      start,
      to,
    ),
    listDeviceUsage(ctx.store.db, deviceIds, start, to),
  ]);
  const byKey = new Map<string, UsageSeries>(keys.map((k) => [k.id, { keyId: k.id, points: [] }]));
  for (const r of rows) byKey.get(r.keyId)?.points.push({ t: r.t, count: r.count, rejected: r.rejected });
  const byDevice = new Map<string, DeviceUsageSeries>(deviceIds.map((id) => [id, { deviceId: id, points: [] }]));
  for (const r of deviceRows) byDevice.get(r.deviceId)?.points.push({ t: r.t, count: r.count, rejected: r.rejected });
  return { series: [...byKey.values()], devices: [...byDevice.values()] };
}
