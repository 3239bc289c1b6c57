import type { Device } from '@keyward/client/management';
import { useState } from 'react';
import { api, isMissingRoute } from '../api';
import { type Column, ListControls } from '../components/DataTable';
import { Checkbox, FormModal, TextInput } from '../components/forms';
import { PagedTable, pageQuery } from '../components/ListPage';
import { DeviceSecretModal } from '../components/SecretShownModal';
import { toast } from '../components/Toast';
import { Ago, EmptyState, Notice, PageHeader, StatusBadge } from '../components/ui';
import { formatTime } from '../format';
import { usePagedList, useUrlQuery } from '../hooks';
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

const DEVICE_QUERY = { q: '', sort: 'created', order: 'asc', status: '', secretSource: '' };

const DEVICE_COLUMNS: readonly Column<Device>[] = [
  {
    label: 'Name',
    cell: (d) => (
      <Link to={`/devices/${d.id}`} className="strong-link">
        {d.name}
      </Link>
    ),
  },
  {
    label: 'Device ID',
    cell: (d) => (
      <Link to={`/devices/${d.id}`}>
        <code className="mono id">{d.id}</code>
      </Link>
    ),
  },
  { label: 'API access secret', cell: (d) => <SecretSource d={d} /> },
  { label: 'Status', cell: (d) => <StatusBadge status={d.status} /> },
  {
    label: 'Last used',
    className: 'nowrap',
    cell: (d) => <Ago ms={d.lastUsedAt} />,
  },
  { label: 'Created', className: 'nowrap', cell: (d) => formatTime(d.createdAt) },
];

export function DevicesPage() {
  const s = useSession();
  const [query, setQuery] = useUrlQuery(DEVICE_QUERY);
  const list = usePagedList(
    async (cursor) => {
      const r = await api.listDevices(s.account.id, {
        ...pageQuery(query, cursor),
        ...(query.secretSource && { secretSource: query.secretSource as 'own' }),
      });
      return { items: r.devices, nextCursor: r.nextCursor };
    },
    [s.account.id, query.q, query.sort, query.order, query.status, query.secretSource],
  );
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ device: Device; secret: string } | null>(null);
  const missing = isMissingRoute(list.error);
  const filtered = query.q !== '' || query.status !== '' || query.secretSource !== '';
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
      {!missing && (
        <ListControls
          values={query}
          onChange={setQuery}
          searchLabel="Search devices by name or ID"
          sorts={[
            { value: 'created', label: 'Created' },
            { value: 'name', label: 'Name' },
            { value: 'lastUsed', label: 'Last used' },
          ]}
          filters={[
            {
              name: 'status',
              label: 'Status',
              choices: [
                { value: '', label: 'Any status' },
                { value: 'active', label: 'Active' },
                { value: 'disabled', label: 'Disabled' },
              ],
            },
            {
              name: 'secretSource',
              label: 'Secret',
              choices: [
                { value: '', label: 'Any secret' },
                { value: 'own', label: 'Own secret' },
                { value: 'shared', label: 'Shared secret' },
              ],
            },
          ]}
        />
      )}
      <PagedTable
        list={list}
        caption="Devices"
        columns={DEVICE_COLUMNS}
        rowKey={(d) => d.id}
        errorTitle="Could not load devices"
        banner={missing ? <MissingFeature what="Devices" /> : undefined}
        filtered={filtered}
        noun="devices"
        empty={<EmptyState title="No devices yet">Create a device to get its device ID and API access secret.</EmptyState>}
      />
      {creating && (
        <NewDeviceModal
          onClose={() => setCreating(false)}
          onCreated={(device, secret) => {
            setCreating(false);
            toast(`Device ${device.name} created`);
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
