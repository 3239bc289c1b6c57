import type { Permission, User } from '@keyward/client/management';
import { useState } from 'react';
import { api } from '../api';
import { type Column, DataTable, ListControls, LoadMore } from '../components/DataTable';
import { Checkbox, ConfirmModal, FormModal, TextInput } from '../components/forms';
import { ScopeChips } from '../components/keys';
import { toast } from '../components/Toast';
import { EmptyState, ErrorBanner, Loading, PageHeader } from '../components/ui';
import { formatDate, formatTime, permissionLabel } from '../format';
import { usePagedList, useUrlQuery } from '../hooks';
import { useSession } from '../session';

interface Rights {
  isAdmin: boolean;
  permissions: Permission[];
  apiScopes: string[];
}

function RightsFields({ value, onChange }: { value: Rights; onChange(r: Rights): void }) {
  const { catalogue } = useSession();
  const flip = <T,>(list: T[], item: T, on: boolean) => (on ? [...new Set([...list, item])] : list.filter((x) => x !== item));
  // The catalogue lists the same closed set users hold, but /openapi.json types it as plain strings.
  const permissions = catalogue.permissions as Permission[];
  return (
    <>
      <Checkbox
        id="user-admin"
        label="Account admin"
        hint="Admins hold every permission and API scope and manage users, devices and the shared secret."
        checked={value.isAdmin}
        onChange={(isAdmin) => onChange({ ...value, isAdmin })}
      />
      <div className="two-col">
        <fieldset disabled={value.isAdmin}>
          <legend>Permissions</legend>
          {permissions.map((p) => (
            <Checkbox
              key={p}
              id={`perm-${p}`}
              label={permissionLabel(p)}
              checked={value.isAdmin || value.permissions.includes(p)}
              onChange={(on) => onChange({ ...value, permissions: flip(value.permissions, p, on) })}
            />
          ))}
        </fieldset>
        <fieldset disabled={value.isAdmin}>
          <legend>API scopes</legend>
          <p className="hint">What this user may grant to the access keys they create.</p>
          {[...catalogue.roles.map((r) => ({ name: r.name, description: r.description })), ...catalogue.scopes].map((s) => (
            <Checkbox
              key={s.name}
              id={`api-scope-${s.name}`}
              label={s.description}
              hint={<code>{s.name}</code>}
              checked={value.isAdmin || value.apiScopes.includes(s.name)}
              onChange={(on) => onChange({ ...value, apiScopes: flip(value.apiScopes, s.name, on) })}
            />
          ))}
        </fieldset>
      </div>
    </>
  );
}

function NewUserModal({ onClose, onCreated }: { onClose(): void; onCreated(): void }) {
  const { account } = useSession();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [rights, setRights] = useState<Rights>({ isAdmin: false, permissions: ['applications.view', 'keys.view.mine'], apiScopes: [] });
  return (
    <FormModal
      title="New user"
      submitLabel="Create user"
      size="wide"
      onClose={onClose}
      submit={async () => {
        await api.createUser(account.id, { name: name.trim(), email: email.trim(), password, ...rights });
        onCreated();
      }}
    >
      <div className="two-col">
        <TextInput id="user-name" label="Name" value={name} onChange={setName} required autoFocus />
        <TextInput id="user-email" label="Email" type="email" value={email} onChange={setEmail} required />
      </div>
      <TextInput
        id="user-password"
        label="Initial password"
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={setPassword}
        required
        hint="At least 10 characters. Share it with the user securely; they can change it after signing in."
      />
      <RightsFields value={rights} onChange={setRights} />
    </FormModal>
  );
}

function EditRightsModal({ user, onClose, onSaved }: { user: User; onClose(): void; onSaved(): void }) {
  const { account } = useSession();
  const [rights, setRights] = useState<Rights>({ isAdmin: user.isAdmin, permissions: user.permissions, apiScopes: user.apiScopes });
  return (
    <FormModal
      title={`Permissions for ${user.name}`}
      submitLabel="Save"
      size="wide"
      onClose={onClose}
      submit={async () => {
        await api.updateUser(account.id, user.id, rights);
        onSaved();
      }}
    >
      <RightsFields value={rights} onChange={setRights} />
    </FormModal>
  );
}

type Dialog = { type: 'new' } | { type: 'edit'; user: User } | { type: 'delete'; user: User } | null;

const PAGE = 50;
const USER_QUERY = { q: '', sort: 'created', order: 'asc', role: '' };

export function UsersPage() {
  const s = useSession();
  const [query, setQuery] = useUrlQuery(USER_QUERY);
  const list = usePagedList(
    async (cursor) => {
      const r = await api.listUsers(s.account.id, {
        limit: PAGE,
        sort: query.sort as 'created',
        order: query.order as 'asc',
        ...(cursor !== undefined && { cursor }),
        ...(query.q && { q: query.q }),
        ...(query.role && { role: query.role as 'admin' }),
      });
      return { items: r.users, nextCursor: r.nextCursor };
    },
    [s.account.id, query.q, query.sort, query.order, query.role],
  );
  const [dialog, setDialog] = useState<Dialog>(null);
  const users = list.items;
  const filtered = query.q !== '' || query.role !== '';
  const done = (message?: string) => {
    setDialog(null);
    if (message) toast(message);
    list.reload();
  };
  const columns: Column<User>[] = [
    {
      label: 'Name',
      cell: (u) => (
        <>
          <strong>{u.name}</strong>
          {u.id === s.me.user.id && <span className="muted"> (you)</span>}
        </>
      ),
    },
    { label: 'Email', className: 'break', cell: (u) => u.email },
    { label: 'Role', cell: (u) => (u.isAdmin ? <span className="badge badge-admin">Admin</span> : 'Member') },
    {
      label: 'Permissions',
      cell: (u) =>
        u.isAdmin ? 'All' : u.permissions.length === 0 ? 'None' : `${u.permissions.length} of ${s.catalogue.permissions.length}`,
    },
    { label: 'API scopes', cell: (u) => (u.isAdmin ? 'All' : u.apiScopes.length === 0 ? 'None' : <ScopeChips names={u.apiScopes} />) },
    { label: 'Created', className: 'nowrap', cell: (u) => <span title={formatTime(u.createdAt)}>{formatDate(u.createdAt)}</span> },
  ];
  const actions = (u: User) => (
    <>
      {s.isAdmin && (
        <button
          type="button"
          className="button button-small"
          aria-label={`Edit permissions of ${u.name}`}
          onClick={() => setDialog({ type: 'edit', user: u })}
        >
          Permissions
        </button>
      )}
      {s.isAdmin && u.id !== s.me.user.id && (
        <button
          type="button"
          className="button button-small button-danger-outline"
          aria-label={`Delete ${u.name}`}
          onClick={() => setDialog({ type: 'delete', user: u })}
        >
          Delete
        </button>
      )}
    </>
  );
  return (
    <>
      <PageHeader
        title="Users"
        subtitle="People in this account, their management permissions and the API scopes they may grant."
        actions={
          s.isAdmin && (
            <button type="button" className="button button-primary" onClick={() => setDialog({ type: 'new' })}>
              New user
            </button>
          )
        }
      />
      <ListControls
        values={query}
        onChange={setQuery}
        searchLabel="Search users by name, email or ID"
        sorts={[
          { value: 'created', label: 'Created' },
          { value: 'name', label: 'Name' },
          { value: 'email', label: 'Email' },
        ]}
        filters={[
          {
            name: 'role',
            label: 'Role',
            choices: [
              { value: '', label: 'Any role' },
              { value: 'admin', label: 'Admins' },
              { value: 'member', label: 'Members' },
            ],
          },
        ]}
      />
      <ErrorBanner error={list.error} title="Could not load users" />
      {list.loading && users.length === 0 ? (
        <Loading />
      ) : list.error && users.length === 0 ? null : users.length === 0 ? (
        <EmptyState title={filtered ? 'No matching users' : 'No users'} />
      ) : (
        <>
          <DataTable caption="Users" columns={columns} rows={users} rowKey={(u) => u.id} actions={actions} />
          <LoadMore shown={users.length} hasMore={list.hasMore} loading={list.loading} onMore={list.loadMore} />
        </>
      )}
      {dialog?.type === 'new' && <NewUserModal onClose={() => setDialog(null)} onCreated={() => done('User created')} />}
      {dialog?.type === 'edit' && (
        <EditRightsModal
          user={dialog.user}
          onClose={() => setDialog(null)}
          onSaved={() => done(`Permissions of ${dialog.user.name} saved`)}
        />
      )}
      {dialog?.type === 'delete' && (
        <ConfirmModal
          title="Delete user"
          confirmLabel="Delete user"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api.deleteUser(s.account.id, dialog.user.id);
            done(`User ${dialog.user.name} deleted`);
          }}
        >
          <p>
            Delete <strong>{dialog.user.name}</strong> ({dialog.user.email})?
          </p>
          <div className="banner banner-warning">
            API access keys and applications that this user created will stop working: API calls made with those keys will be rejected.
          </div>
        </ConfirmModal>
      )}
    </>
  );
}
