import type { Application } from '@keyward/client/management';
import { useState } from 'react';
import { api } from '../api';
import { type Column, ListControls } from '../components/DataTable';
import { ConfirmModal, FormModal, TextArea, TextInput } from '../components/forms';
import { LimitButton, PagedTable, pageQuery, ShowRevoked } from '../components/ListPage';
import { toast } from '../components/Toast';
import { EmptyState, PageHeader, StatusBadge } from '../components/ui';
import { formatDate, formatTime } from '../format';
import { useAsync, usePagedList, useUrlQuery } from '../hooks';
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

const APP_QUERY = { q: '', sort: 'created', order: 'asc', status: '', revoked: '' };

export function ApplicationsPage() {
  const s = useSession();
  const [query, setQuery] = useUrlQuery(APP_QUERY);
  const [dialog, setDialog] = useState<Dialog>(null);
  const showRevoked = query.revoked === '1';
  const list = usePagedList(
    async (cursor) => {
      const r = await api.listApplications(s.account.id, { includeRevoked: showRevoked, ...pageQuery(query, cursor) });
      return { items: r.applications, nextCursor: r.nextCursor };
    },
    [s.account.id, showRevoked, query.q, query.sort, query.order, query.status],
  );
  // The limit counts every active application, whatever the page shows: at most the account's limit.
  const activeCount = useAsync(() => api.listApplications(s.account.id, { status: 'active' }), [s.account.id, list.items]);
  const active = activeCount.data?.applications.length;
  const filtered = query.q !== '' || query.status !== '';
  const done = (message: string) => {
    setDialog(null);
    toast(message);
    list.reload();
  };
  const columns: Column<Application>[] = [
    {
      label: 'Name',
      cell: (a) => (
        <Link to={`/applications/${a.id}`} className="strong-link">
          {a.name}
        </Link>
      ),
    },
    { label: 'Application ID', cell: (a) => <code className="mono id">{a.id}</code> },
    {
      label: 'Description',
      className: 'muted',
      cell: (a) => (
        <span className="clamp" title={a.description}>
          {a.description || '—'}
        </span>
      ),
    },
    { label: 'Status', cell: (a) => <StatusBadge status={a.status} /> },
    { label: 'Created', className: 'nowrap', cell: (a) => <span title={formatTime(a.createdAt)}>{formatDate(a.createdAt)}</span> },
  ];
  const actions = (a: Application) => (
    <>
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
    </>
  );

  return (
    <>
      <PageHeader
        title="Applications"
        subtitle={`Applications group your access keys. ${active ?? '…'} of ${s.account.maxApplications} active applications used.`}
        actions={
          s.can('applications.create') && (
            <LimitButton
              used={active}
              max={s.account.maxApplications}
              what="active applications"
              onClick={() => setDialog({ type: 'new' })}
            />
          )
        }
      />
      <ListControls
        values={query}
        onChange={setQuery}
        searchLabel="Search applications by name, description or ID"
        sorts={[
          { value: 'created', label: 'Created' },
          { value: 'name', label: 'Name' },
        ]}
        filters={[
          {
            name: 'status',
            label: 'Status',
            choices: [
              { value: '', label: 'Any status' },
              { value: 'active', label: 'Active' },
              { value: 'disabled', label: 'Disabled' },
              { value: 'revoked', label: 'Revoked' },
            ],
          },
        ]}
      >
        <ShowRevoked label="Show revoked applications" values={query} onChange={setQuery} />
      </ListControls>
      <PagedTable
        list={list}
        caption="Applications"
        columns={columns}
        rowKey={(a) => a.id}
        actions={actions}
        errorTitle="Could not load applications"
        filtered={filtered}
        noun="applications"
        empty={
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
        }
      />
      {dialog?.type === 'new' && (
        <NewApplicationModal onClose={() => setDialog(null)} onCreated={(a) => done(`Application ${a.name} created`)} />
      )}
      {dialog?.type === 'edit' && (
        <EditApplicationModal app={dialog.app} onClose={() => setDialog(null)} onSaved={(a) => done(`Application ${a.name} saved`)} />
      )}
      {dialog?.type === 'revoke' && (
        <RevokeApplicationModal
          app={dialog.app}
          onClose={() => setDialog(null)}
          onRevoked={() => done(`Application ${dialog.app.name} revoked`)}
        />
      )}
    </>
  );
}

export const goToApplication = (id: string) => navigate(`/applications/${id}/keys`);
