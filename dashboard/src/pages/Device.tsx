import type { Device } from '@keyward/client/management';
import { useState } from 'react';
import { api, isMissingRoute } from '../api';
import { Checkbox, ConfirmModal, FormModal, TextInput } from '../components/forms';
import { DeviceSecretModal } from '../components/SecretShownModal';
import { toast } from '../components/Toast';
import { UsageChart } from '../components/UsageChart';
import { Ago, CopyId, ErrorBanner, Loading, Notice, PageHeader, StatusBadge, When } from '../components/ui';
import { useAsync } from '../hooks';
import { Link, navigate } from '../router';
import { rights, useSession } from '../session';
import { SecretSource } from './Devices';

type Dialog = 'reset' | 'rename' | 'delete' | null;

export function DevicePage({ id }: { id: string }) {
  const s = useSession();
  const dev = useAsync(() => api.getDevice(s.account.id, id), [s.account.id, id]);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [useShared, setUseShared] = useState(false);
  const [name, setName] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  if (dev.loading && !dev.data) return <Loading />;
  const crumbs = (
    <p className="breadcrumb">
      <Link to="/devices">Devices</Link> {dev.data && <span aria-hidden="true">/</span>} {dev.data?.name}
    </p>
  );
  if (!dev.data) {
    return (
      <>
        {crumbs}
        <ErrorBanner error={dev.error} title="Could not load the device" />
      </>
    );
  }
  const d: Device = dev.data;
  const manage = rights.manageDevices(s);
  const toggleStatus = async () => {
    setError(null);
    try {
      await api.updateDevice(s.account.id, d.id, { status: d.status === 'active' ? 'disabled' : 'active' });
      toast(d.status === 'active' ? 'Device disabled' : 'Device enabled');
      dev.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      {crumbs}
      <PageHeader
        title={d.name}
        subtitle={<StatusBadge status={d.status} />}
        actions={
          manage && (
            <>
              <button
                type="button"
                className="button"
                onClick={() => {
                  setName(d.name);
                  setDialog('rename');
                }}
              >
                Rename
              </button>
              <button type="button" className="button" onClick={toggleStatus}>
                {d.status === 'active' ? 'Disable' : 'Enable'}
              </button>
              <button type="button" className="button button-danger-outline" onClick={() => setDialog('delete')}>
                Delete
              </button>
            </>
          )
        }
      />
      <ErrorBanner error={error} />
      {notice && <Notice tone="success">{notice}</Notice>}
      <section className="card" aria-label="Device details">
        <dl className="details">
          <dt>Device ID</dt>
          <dd>
            <CopyId value={d.id} label="device ID" />
          </dd>
          <dt>API access secret</dt>
          <dd>
            <SecretSource d={d} />
            <p className="hint">
              {d.secretSource === 'shared'
                ? "This device authenticates with the account's shared API access secret (see API ACCESS)."
                : 'This device authenticates with its own unique API access secret.'}
            </p>
          </dd>
          <dt>Secret last set</dt>
          <dd>
            <When ms={d.secretUpdatedAt} />
          </dd>
          <dt>Last used</dt>
          <dd data-testid="device-last-used">
            <Ago ms={d.lastUsedAt} />
          </dd>
          <dt>Created</dt>
          <dd>
            <When ms={d.createdAt} />
          </dd>
        </dl>
        {manage ? (
          <div className="card-actions">
            <button
              type="button"
              className="button button-primary"
              onClick={() => {
                setUseShared(false);
                setDialog('reset');
              }}
            >
              Reset device secret
            </button>
          </div>
        ) : (
          <p className="hint" data-testid="view-only">
            You can view this device. Renaming, disabling, deleting it or resetting its secret needs the devices.manage permission.
          </p>
        )}
      </section>
      <DeviceUsage d={d} />
      {dialog === 'reset' && (
        <FormModal
          title="Reset device secret"
          submitLabel="Reset secret"
          danger
          onClose={() => setDialog(null)}
          submit={async () => {
            const r = await api.resetDeviceSecret(s.account.id, d.id, { useSharedSecret: useShared });
            setDialog(null);
            setNotice(r.secret ? null : 'The device now uses the shared API access secret.');
            toast('Device secret reset');
            setSecret(r.secret);
            dev.reload();
          }}
        >
          <p>The device's current API access secret stops working immediately. Update the device before its next request.</p>
          <Checkbox id="reset-shared" label="Assign shared API access secret" checked={useShared} onChange={setUseShared} />
        </FormModal>
      )}
      {dialog === 'rename' && (
        <FormModal
          title="Rename device"
          submitLabel="Save"
          onClose={() => setDialog(null)}
          submit={async () => {
            await api.updateDevice(s.account.id, d.id, { name: name.trim() });
            toast('Device renamed');
            setDialog(null);
            dev.reload();
          }}
        >
          <TextInput id="device-name" label="Name" value={name} onChange={setName} required autoFocus />
        </FormModal>
      )}
      {dialog === 'delete' && (
        <ConfirmModal
          title="Delete device"
          confirmLabel="Delete device"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api.deleteDevice(s.account.id, d.id);
            toast('Device deleted');
            navigate('/devices');
          }}
        >
          <p>
            Delete <strong>{d.name}</strong>? Its requests will be rejected from now on. This cannot be undone.
          </p>
        </ConfirmModal>
      )}
      {secret && <DeviceSecretModal title="New device secret" deviceId={d.id} secret={secret} onClose={() => setSecret(null)} />}
    </>
  );
}

const DAY = 86_400_000;

/** The device's signed requests per hour over the last 7 days (`?deviceId=`), with the totals, as the key page has. */
function DeviceUsage({ d }: { d: Device }) {
  const s = useSession();
  const [range] = useState(() => {
    const to = Math.ceil(Date.now() / 3_600_000) * 3_600_000;
    return { from: to - 7 * DAY, to };
  });
  const usage = useAsync(() => api.getUsage(s.account.id, { deviceId: d.id, from: range.from, to: range.to }), [s.account.id, d.id, range]);
  if (isMissingRoute(usage.error)) return null;
  // The chart draws series by `keyId`: this device's points under its own ID.
  const series = (usage.data?.devices ?? []).map((x) => ({ keyId: x.deviceId, points: x.points }));
  const points = series.flatMap((x) => x.points);
  const sum = (since: number, f: 'count' | 'rejected') => points.filter((p) => p.t >= since).reduce((n, p) => n + p[f], 0);
  return (
    <section className="card" aria-labelledby="device-usage">
      <h2 className="card-title" id="device-usage">
        Usage
      </h2>
      <ErrorBanner error={usage.error} title="Could not load the device's usage" />
      {usage.loading && !usage.data ? (
        <Loading />
      ) : usage.data ? (
        <>
          <dl className="details">
            <dt>All time</dt>
            <dd data-testid="device-uses-total">{d.usageCount.toLocaleString('en-GB')}</dd>
            <dt>Refused (all time)</dt>
            <dd data-testid="device-rejected-total">
              {d.rejectedCount.toLocaleString('en-GB')}
              {d.rejectedCount > 0 && <span className="muted"> by a rate limit or quota</span>}
            </dd>
            <dt>Last 24 hours</dt>
            <dd data-testid="device-uses-24h">{sum(range.to - DAY, 'count').toLocaleString('en-GB')}</dd>
            <dt>Last 7 days</dt>
            <dd data-testid="device-uses-7d">
              {sum(range.from, 'count').toLocaleString('en-GB')}
              {sum(range.from, 'rejected') > 0 && (
                <span className="muted"> ({sum(range.from, 'rejected').toLocaleString('en-GB')} rejected by a rate limit or quota)</span>
              )}
            </dd>
          </dl>
          {points.length > 0 && (
            <UsageChart series={series} from={range.from} to={range.to} names={new Map([[d.id, d.name]])} unit="device" />
          )}
          <p className="hint">Signed requests that verified; a wrong signature, a replay or a disabled device is not counted.</p>
        </>
      ) : null}
    </section>
  );
}
