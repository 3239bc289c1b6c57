import type { Application } from '@keyward/client/management';
import { useState } from 'react';
import { api } from '../api';
import { ConfirmModal, FormModal, TextArea, TextInput } from '../components/forms';
import { EmptyState, ErrorBanner, LimitedButton, Loading, PageHeader, StatusBadge } from '../components/ui';
import { formatDate } from '../format';
import { useAsync } from '../hooks';
import { Link, navigate } from '../router';
import { useSession } from '../session';

export function NewApplicationModal({ onClose, onCreated }: { onClose(): void; onCreated(a: Application): void }) {
  const { account } = useSession();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  return (
    <FormModal
      title="New application"
      submitLabel="Create"
      onClose={onClose}
      submit={async () => onCreated(await api.createApplication(account.id, { name: name.trim(), description }))}
    >
      <TextInput id="app-name" label="Name" value={name} onChange={setName} required autoFocus />
      <TextArea id="app-description" label="Description" value={description} onChange={setDescription} />
    </FormModal>
  );
}

export function EditApplicationModal({ app, onClose, onSaved }: { app: Application; onClose(): void; onSaved(a: Application): void }) {
  const { account } = useSession();
  const [name, setName] = useState(app.name);
  const [description, setDescription] = useState(app.description);
  return (
    <FormModal
      title="Edit application"
      submitLabel="Save"
      onClose={onClose}
      submit={async () => onSaved(await api.updateApplication(account.id, app.id, { name: name.trim(), description }))}
    >
      <TextInput id="app-name" label="Name" value={name} onChange={setName} required autoFocus />
      <TextArea id="app-description" label="Description" value={description} onChange={setDescription} />
    </FormModal>
  );
}

export function RevokeApplicationModal({ app, onClose, onRevoked }: { app: Application; onClose(): void; onRevoked(): void }) {
  const { account } = useSession();
  return (
    <ConfirmModal
      title="Revoke application"
      confirmLabel="Revoke application"
      onClose={onClose}
      onConfirm={async () => {
        await api.revokeApplication(account.id, app.id);
        onRevoked();
      }}
    >
      <p>
        Revoke <strong>{app.name}</strong>? API calls made using this application's access keys will be rejected. Revoked applications do
        not count towards your application limit. This cannot be undone.
      </p>
    </ConfirmModal>
  );
}

type Dialog = { type: 'new' } | { type: 'edit'; app: Application } | { type: 'revoke'; app: Application } | null;

export function ApplicationsPage() {
  const s = useSession();
  const [showRevoked, setShowRevoked] = useState(false);
  const [dialog, setDialog] = useState<Dialog>(null);
  const list = useAsync(() => api.listApplications(s.account.id, { includeRevoked: showRevoked }), [s.account.id, showRevoked]);
  const apps = list.data?.applications ?? [];
  const active = apps.filter((a) => a.status === 'active').length;

  return (
    <>
      <PageHeader
        title="Applications"
        subtitle={`Applications group your access keys. ${active} of ${s.account.maxApplications} active applications used.`}
        actions={
          s.can('applications.create') && (
            <LimitedButton
              used={active}
              max={s.account.maxApplications}
              reason={`${active} of ${s.account.maxApplications} active applications: revoke one to create another.`}
              onClick={() => setDialog({ type: 'new' })}
            />
          )
        }
      />
      <div className="toolbar">
        <label className="toggle">
          <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.target.checked)} />
          Show revoked applications
        </label>
      </div>
      <ErrorBanner error={list.error} title="Could not load applications" />
      {list.loading && !list.data ? (
        <Loading />
      ) : apps.length === 0 && !list.error ? (
        <EmptyState
          title="No applications yet"
          action={
            s.can('applications.create') && (
              <button type="button" className="button button-primary" onClick={() => setDialog({ type: 'new' })}>
                Create your first application
              </button>
            )
          }
        >
          Access keys must belong to an application, so create an application before you create an access key.
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">Applications</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Application ID</th>
                <th scope="col">Description</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {apps.map((a) => (
                <tr key={a.id}>
                  <td className="nowrap">
                    <Link to={`/applications/${a.id}`} className="strong-link">
                      {a.name}
                    </Link>
                  </td>
                  <td>
                    <code className="mono id">{a.id}</code>
                  </td>
                  <td className="muted">
                    <span className="clamp" title={a.description}>
                      {a.description || '—'}
                    </span>
                  </td>
                  <td>
                    <StatusBadge status={a.status} />
                  </td>
                  <td className="nowrap">{formatDate(a.createdAt)}</td>
                  <td className="row-actions">
                    {a.status === 'active' && s.can('applications.edit') && (
                      <button
                        type="button"
                        className="button button-small"
                        onClick={() => setDialog({ type: 'edit', app: a })}
                        aria-label={`Edit ${a.name}`}
                      >
                        Edit
                      </button>
                    )}
                    {a.status !== 'revoked' && s.can('applications.revoke') && (
                      <button
                        type="button"
                        className="button button-small button-danger-outline"
                        onClick={() => setDialog({ type: 'revoke', app: a })}
                        aria-label={`Revoke ${a.name}`}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {dialog?.type === 'new' && (
        <NewApplicationModal
          onClose={() => setDialog(null)}
          onCreated={(a) => {
            setDialog(null);
            list.reload();
            void a;
          }}
        />
      )}
      {dialog?.type === 'edit' && (
        <EditApplicationModal
          app={dialog.app}
          onClose={() => setDialog(null)}
          onSaved={() => {
            setDialog(null);
            list.reload();
          }}
        />
      )}
      {dialog?.type === 'revoke' && (
        <RevokeApplicationModal
          app={dialog.app}
          onClose={() => setDialog(null)}
          onRevoked={() => {
            setDialog(null);
            list.reload();
          }}
        />
      )}
    </>
  );
}

export const goToApplication = (id: string) => navigate(`/applications/${id}/keys`);
