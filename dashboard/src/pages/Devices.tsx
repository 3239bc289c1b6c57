import type { Device } from '@keyward/client/management';
import { useState } from 'react';
import { api, isMissingRoute } from '../api';
import { Checkbox, FormModal, TextInput } from '../components/forms';
import { DeviceSecretModal } from '../components/SecretShownModal';
import { EmptyState, ErrorBanner, Loading, Notice, PageHeader, StatusBadge } from '../components/ui';
import { formatTime, relative } from '../format';
import { useAsync } from '../hooks';
import { Link, navigate } from '../router';
import { rights, useSession } from '../session';

export function SecretSource({ d }: { d: Device }) {
  return d.secretSource === 'shared' ? (
    <span className="badge badge-shared">Shared API access secret</span>
  ) : (
    <span className="badge badge-own">Own API access secret</span>
  );
}

export function MissingFeature({ what }: { what: string }) {
  return (
    <Notice tone="info">
      {what} are not available on this Keyward server yet (the API answered <code>ROUTE_NOT_FOUND</code>). Upgrade Keyward to use them.
    </Notice>
  );
}

function NewDeviceModal({ onClose, onCreated }: { onClose(): void; onCreated(d: Device, secret: string | null): void }) {
  const { account } = useSession();
  const [name, setName] = useState('');
  const [shared, setShared] = useState(false);
  return (
    <FormModal
      title="New device"
      submitLabel="Create"
      onClose={onClose}
      submit={async () => {
        const r = await api.createDevice(account.id, { name: name.trim(), useSharedSecret: shared });
        onCreated(r.device, r.secret);
      }}
    >
      <TextInput id="device-name" label="Name" value={name} onChange={setName} required autoFocus />
      <Checkbox
        id="device-shared"
        label="Assign shared API access secret"
        hint="Unchecked, Keyward generates a unique API access secret for this device (recommended)."
        checked={shared}
        onChange={setShared}
      />
    </FormModal>
  );
}

export function DevicesPage() {
  const s = useSession();
  const list = useAsync(() => api.listDevices(s.account.id), [s.account.id]);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ device: Device; secret: string } | null>(null);
  const devices = list.data?.devices ?? [];
  const missing = isMissingRoute(list.error);
  return (
    <>
      <PageHeader
        title="Devices"
        subtitle="Each device authenticates with its device ID and either its own unique API access secret or the account's shared one."
        actions={
          !missing &&
          rights.manageDevices(s) && (
            <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
              New device
            </button>
          )
        }
      />
      {missing ? <MissingFeature what="Devices" /> : <ErrorBanner error={list.error} title="Could not load devices" />}
      {list.loading && !list.data ? (
        <Loading />
      ) : list.error ? null : devices.length === 0 ? (
        <EmptyState title="No devices yet">Create a device to get its device ID and API access secret.</EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">Devices</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Device ID</th>
                <th scope="col">API access secret</th>
                <th scope="col">Status</th>
                <th scope="col">Last used</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {devices.map((d) => (
                <tr key={d.id}>
                  <td>
                    <Link to={`/devices/${d.id}`} className="strong-link">
                      {d.name}
                    </Link>
                  </td>
                  <td>
                    <Link to={`/devices/${d.id}`}>
                      <code className="mono id">{d.id}</code>
                    </Link>
                  </td>
                  <td>
                    <SecretSource d={d} />
                  </td>
                  <td>
                    <StatusBadge status={d.status} />
                  </td>
                  <td className="nowrap">{relative(d.lastUsedAt)}</td>
                  <td className="nowrap">{formatTime(d.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating && (
        <NewDeviceModal
          onClose={() => setCreating(false)}
          onCreated={(device, secret) => {
            setCreating(false);
            list.reload();
            if (secret) setCreated({ device, secret });
            else navigate(`/devices/${device.id}`);
          }}
        />
      )}
      {created && (
        <DeviceSecretModal
          title="Device created"
          deviceId={created.device.id}
          secret={created.secret}
          onClose={() => {
            const id = created.device.id;
            setCreated(null);
            navigate(`/devices/${id}`);
          }}
        />
      )}
    </>
  );
}
