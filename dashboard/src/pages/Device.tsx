import type { Device } from '@keyward/client/management';
import { useState } from 'react';
import { api } from '../api';
import { Checkbox, ConfirmModal, FormModal, TextInput } from '../components/forms';
import { DeviceSecretModal } from '../components/SecretShownModal';
import { toast } from '../components/Toast';
import { CopyId, ErrorBanner, Loading, Notice, PageHeader, StatusBadge } from '../components/ui';
import { formatTime, relative } from '../format';
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
          <dd>{formatTime(d.secretUpdatedAt)}</dd>
          <dt>Last used</dt>
          <dd>{relative(d.lastUsedAt)}</dd>
          <dt>Created</dt>
          <dd>{formatTime(d.createdAt)}</dd>
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
