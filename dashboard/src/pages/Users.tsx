import type { Permission, User } from '@keyward/client/management';
import { useState } from 'react';
import { api } from '../api';
import { Checkbox, ConfirmModal, FormModal, TextInput } from '../components/forms';
import { ScopeChips } from '../components/keys';
import { EmptyState, ErrorBanner, Loading, PageHeader } from '../components/ui';
import { formatDate, permissionLabel } from '../format';
import { useAsync } from '../hooks';
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

export function UsersPage() {
  const s = useSession();
  const list = useAsync(() => api.listUsers(s.account.id), [s.account.id]);
  const [dialog, setDialog] = useState<Dialog>(null);
  const users = list.data?.users ?? [];
  const done = () => {
    setDialog(null);
    list.reload();
  };
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
      <ErrorBanner error={list.error} title="Could not load users" />
      {list.loading && !list.data ? (
        <Loading />
      ) : users.length === 0 && !list.error ? (
        <EmptyState title="No users" />
      ) : (
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">Users</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Permissions</th>
                <th scope="col">API scopes</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id}>
                  <td>
                    <strong>{u.name}</strong>
                    {u.id === s.me.user.id && <span className="muted"> (you)</span>}
                  </td>
                  <td>{u.email}</td>
                  <td>{u.isAdmin ? <span className="badge badge-admin">Admin</span> : 'Member'}</td>
                  <td>
                    {u.isAdmin
                      ? 'All'
                      : u.permissions.length === 0
                        ? 'None'
                        : `${u.permissions.length} of ${s.catalogue.permissions.length}`}
                  </td>
                  <td>{u.isAdmin ? 'All' : <ScopeChips names={u.apiScopes} />}</td>
                  <td className="nowrap">{formatDate(u.createdAt)}</td>
                  <td className="row-actions">
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
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {dialog?.type === 'new' && <NewUserModal onClose={() => setDialog(null)} onCreated={done} />}
      {dialog?.type === 'edit' && <EditRightsModal user={dialog.user} onClose={() => setDialog(null)} onSaved={done} />}
      {dialog?.type === 'delete' && (
        <ConfirmModal
          title="Delete user"
          confirmLabel="Delete user"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api.deleteUser(s.account.id, dialog.user.id);
            done();
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
