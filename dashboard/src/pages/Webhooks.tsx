import type { WebhookDelivery, WebhookEndpoint, WebhookEventType } from '@keyward/client/management';
import { useState } from 'react';
import { api, isMissingRoute } from '../api';
import { Checkbox, ConfirmModal, FormModal, TextInput } from '../components/forms';
import { FormCheckError } from '../components/limits';
import { Modal } from '../components/Modal';
import { toast } from '../components/Toast';
import { CopyId, EmptyState, ErrorBanner, Loading, Notice, PageHeader, SecretBox } from '../components/ui';
import { formatTime } from '../format';
import { useAsync } from '../hooks';
import { Link, navigate } from '../router';
import { type SessionState, useSession } from '../session';

type Endpoint = WebhookEndpoint;
type Delivery = WebhookDelivery;
type EventType = WebhookEventType;

/** Every event type, with a short label: the same list as src/core/webhook-events.ts (the API refuses others). */
export const EVENT_TYPES: { type: EventType; label: string }[] = [
  { type: 'key.created', label: 'A key was created' },
  { type: 'key.revoked', label: 'A key was revoked' },
  { type: 'key.rotated', label: 'A key was rotated' },
  { type: 'key.expiring', label: 'A key expires soon (7 days and 1 day before)' },
  { type: 'key.expired', label: 'A key expired' },
  { type: 'key.leaked', label: 'A key was reported leaked' },
  { type: 'application.revoked', label: 'An application was revoked' },
  { type: 'device.secret_reset', label: "A device's secret was reset" },
  { type: 'shared_secret.reset', label: 'The shared secret was reset' },
  { type: 'user.deleted', label: 'A user was deleted' },
  { type: 'usage.threshold', label: "A quota reached 80 % or 100 % (spent by keys or by devices' signed requests)" },
  { type: 'ratelimit.exceeded', label: "A rate limit refused a key's requests or a device's signed requests" },
  { type: 'endpoint.disabled', label: 'An endpoint was disabled after repeated failures' },
  { type: 'webhook.test', label: 'Test events (Send test event)' },
];

/** Who sees the page: webhooks.view (or manage), admins and the operator; who acts: webhooks.manage, admins, the operator. */
export const canViewWebhooks = (s: SessionState) => s.isAdmin || s.can('webhooks.view') || s.can('webhooks.manage');
export const canManageWebhooks = (s: SessionState) => s.isAdmin || s.can('webhooks.manage');

function NewEndpointModal({ onClose, onCreated }: { onClose(): void; onCreated(e: Endpoint, secret: string): void }) {
  const s = useSession();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [types, setTypes] = useState<Set<EventType>>(new Set(['key.leaked', 'key.expiring']));
  const [urlError, setUrlError] = useState('');
  const [typesError, setTypesError] = useState('');
  return (
    <FormModal
      title="New webhook endpoint"
      submitLabel="Create endpoint"
      size="wide"
      onClose={onClose}
      submit={async () => {
        let bad = false;
        try {
          const u = new URL(url.trim());
          if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error();
          setUrlError('');
        } catch {
          setUrlError('Enter a full URL, e.g. https://example.com/keyward/events');
          bad = true;
        }
        setTypesError(types.size === 0 ? 'Pick at least one event.' : '');
        if (bad || types.size === 0) throw new FormCheckError();
        const created = await api.createWebhook(s.account.id, { url: url.trim(), description: description.trim(), eventTypes: [...types] });
        onCreated(created.endpoint, created.secret);
      }}
    >
      <TextInput
        id="webhook-url"
        label="Endpoint URL"
        type="url"
        value={url}
        onChange={(v) => {
          setUrl(v);
          setUrlError('');
        }}
        required
        autoFocus
        maxLength={2048}
        placeholder="https://example.com/keyward/events"
        error={urlError}
        hint="Keyward POSTs each event here, signed per the Standard Webhooks spec. Private and loopback addresses are refused unless the operator allows them."
      />
      <TextInput id="webhook-description" label="Description" value={description} onChange={setDescription} maxLength={200} />
      <fieldset className="event-picker">
        <legend>Events</legend>
        <div className="event-picker-actions">
          <button type="button" className="button button-small" onClick={() => setTypes(new Set(EVENT_TYPES.map((e) => e.type)))}>
            Select all
          </button>
          <button type="button" className="button button-small" onClick={() => setTypes(new Set())}>
            Clear
          </button>
        </div>
        {EVENT_TYPES.map((e) => (
          <Checkbox
            key={e.type}
            id={`event-${e.type}`}
            label={<code className="mono">{e.type}</code>}
            hint={e.label}
            checked={types.has(e.type)}
            onChange={(on) => {
              const next = new Set(types);
              if (on) next.add(e.type);
              else next.delete(e.type);
              setTypes(next);
              setTypesError('');
            }}
          />
        ))}
        {typesError && (
          <p className="field-error" role="alert">
            {typesError}
          </p>
        )}
      </fieldset>
    </FormModal>
  );
}

function SigningSecretModal({ endpoint, secret, onClose }: { endpoint: Endpoint; secret: string; onClose(): void }) {
  return (
    <Modal
      title="Endpoint created"
      onClose={onClose}
      dismissible={false}
      footer={
        <button type="button" className="button button-primary" onClick={onClose}>
          I have copied the signing secret - Close
        </button>
      }
    >
      <Notice tone="warning">Copy this signing secret now: it is shown only once. Your receiver verifies each delivery with it.</Notice>
      <dl className="details">
        <dt>Endpoint</dt>
        <dd className="break">{endpoint.url}</dd>
      </dl>
      <SecretBox label="Signing secret" value={secret} />
    </Modal>
  );
}

function EnabledBadge({ e }: { e: Endpoint }) {
  return e.enabled ? (
    <span className="badge badge-active">Enabled</span>
  ) : (
    <span className="badge badge-disabled" title={e.disabledReason ?? undefined}>
      Disabled
    </span>
  );
}

export function WebhooksPage() {
  const s = useSession();
  const manage = canManageWebhooks(s);
  const list = useAsync(() => api.listWebhooks(s.account.id), [s.account.id]);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ endpoint: Endpoint; secret: string } | null>(null);
  const missing = isMissingRoute(list.error);
  const endpoints = (list.data?.endpoints ?? []) as Endpoint[];
  return (
    <>
      <PageHeader
        title="Webhooks"
        subtitle="Keyward sends signed events (Standard Webhooks) to these endpoints: keys created, revoked, expiring or leaked, quotas and more."
        actions={
          manage &&
          !missing && (
            <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
              New endpoint
            </button>
          )
        }
      />
      {missing ? (
        <Notice>This Keyward server has no webhooks yet.</Notice>
      ) : (
        <ErrorBanner error={list.error} title="Could not load webhook endpoints" />
      )}
      {list.loading && !list.data ? (
        <Loading />
      ) : list.error ? null : endpoints.length === 0 ? (
        <EmptyState title="No webhook endpoints yet">
          {manage ? 'Create an endpoint to be told about key events as they happen.' : 'An admin can add endpoints here.'}
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table table-stack">
            <caption className="sr-only">Webhook endpoints</caption>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {endpoints.map((e) => (
                <tr key={e.id}>
                  <td data-label="URL" className="break">
                    <Link to={`/webhooks/${e.id}`} className="strong-link">
                      {e.url}
                    </Link>
                    {e.description && <div className="muted">{e.description}</div>}
                  </td>
                  <td data-label="Events">{e.eventTypes.length === EVENT_TYPES.length ? 'All events' : `${e.eventTypes.length} events`}</td>
                  <td data-label="Status">
                    <EnabledBadge e={e} />
                  </td>
                  <td data-label="Created" className="nowrap">
                    {formatTime(e.createdAt)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating && (
        <NewEndpointModal
          onClose={() => setCreating(false)}
          onCreated={(endpoint, secret) => {
            setCreating(false);
            list.reload();
            toast('Webhook endpoint created');
            setCreated({ endpoint, secret });
          }}
        />
      )}
      {created && (
        <SigningSecretModal
          endpoint={created.endpoint}
          secret={created.secret}
          onClose={() => {
            const id = created.endpoint.id;
            setCreated(null);
            navigate(`/webhooks/${id}`);
          }}
        />
      )}
    </>
  );
}

function DeliveryStatus({ d }: { d: Delivery }) {
  const cls = d.status === 'delivered' ? 'badge-active' : d.status === 'failed' ? 'badge-revoked' : 'badge-expired';
  return <span className={`badge ${cls}`}>{d.status[0]?.toUpperCase() + d.status.slice(1)}</span>;
}

export function WebhookPage({ id }: { id: string }) {
  const s = useSession();
  const manage = canManageWebhooks(s);
  const endpoint = useAsync(() => api.getWebhook(s.account.id, id), [s.account.id, id]);
  const deliveries = useAsync(() => api.listWebhookDeliveries(s.account.id, id, { limit: 50 }), [s.account.id, id]);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [deleting, setDeleting] = useState(false);
  const [busy, setBusy] = useState(false);
  if (endpoint.loading && !endpoint.data) return <Loading />;
  if (!endpoint.data) return <ErrorBanner error={endpoint.error} title="Could not load the endpoint" />;
  const e = endpoint.data as Endpoint;
  const act = async (what: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setFailure(null);
    setNotice(null);
    try {
      await what();
      setNotice(done);
      endpoint.reload();
      deliveries.reload();
    } catch (err) {
      setFailure(err);
    } finally {
      setBusy(false);
    }
  };
  const labels = new Map(EVENT_TYPES.map((x) => [x.type, x.label]));
  return (
    <>
      <PageHeader
        title="Webhook endpoint"
        subtitle={<span className="break">{e.url}</span>}
        actions={
          manage && (
            <>
              <button
                type="button"
                className="button"
                disabled={busy}
                onClick={() =>
                  act(() => api.testWebhook(s.account.id, id), 'A test event was queued: it appears in the delivery log below.')
                }
              >
                Send test event
              </button>
              <button
                type="button"
                className="button"
                disabled={busy}
                onClick={() =>
                  act(
                    () => api.updateWebhook(s.account.id, id, { enabled: !e.enabled }),
                    e.enabled ? 'The endpoint was disabled.' : 'The endpoint was enabled.',
                  )
                }
              >
                {e.enabled ? 'Disable' : 'Enable'}
              </button>
              <button type="button" className="button button-danger" disabled={busy} onClick={() => setDeleting(true)}>
                Delete
              </button>
            </>
          )
        }
      />
      <p>
        <Link to="/webhooks">← All endpoints</Link>
      </p>
      {notice && <Notice tone="success">{notice}</Notice>}
      <ErrorBanner error={failure} />
      <div className="stack">
        <section className="card" aria-labelledby="webhook-details">
          <h2 className="card-title" id="webhook-details">
            Details
          </h2>
          <dl className="details">
            <dt>URL</dt>
            <dd className="break">{e.url}</dd>
            {e.description && (
              <>
                <dt>Description</dt>
                <dd>{e.description}</dd>
              </>
            )}
            <dt>Status</dt>
            <dd>
              <EnabledBadge e={e} /> {e.disabledReason && <span className="muted">{e.disabledReason}</span>}
            </dd>
            <dt>Endpoint ID</dt>
            <dd>
              <CopyId value={e.id} label="endpoint ID" />
            </dd>
            <dt>Created</dt>
            <dd>{formatTime(e.createdAt)}</dd>
            <dt>Events</dt>
            <dd>
              <ul className="plain-list">
                {e.eventTypes.map((t) => (
                  <li key={t}>
                    <code className="mono">{t}</code> <span className="muted">{labels.get(t)}</span>
                  </li>
                ))}
              </ul>
            </dd>
          </dl>
        </section>
        <section aria-labelledby="webhook-deliveries">
          <div className="section-head">
            <h2 className="card-title" id="webhook-deliveries">
              Delivery log
            </h2>
            <button type="button" className="button button-small" onClick={() => deliveries.reload()}>
              Refresh
            </button>
          </div>
          <ErrorBanner error={deliveries.error} title="Could not load deliveries" />
          {deliveries.loading && !deliveries.data ? (
            <Loading />
          ) : !deliveries.data ? null : deliveries.data.deliveries.length === 0 ? (
            <EmptyState title="No deliveries yet">{manage ? 'Send a test event to try the endpoint.' : null}</EmptyState>
          ) : (
            <div className="table-wrap">
              <table className="table table-stack" aria-label="Deliveries">
                <thead>
                  <tr>
                    <th scope="col">Event</th>
                    <th scope="col">Status</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Last response</th>
                    <th scope="col">Time</th>
                    {manage && (
                      <th scope="col">
                        <span className="sr-only">Actions</span>
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {(deliveries.data.deliveries as Delivery[]).map((d) => (
                    <tr key={d.id}>
                      <td data-label="Event">
                        <code className="mono">{d.eventType}</code>
                      </td>
                      <td data-label="Status">
                        <DeliveryStatus d={d} />
                      </td>
                      <td data-label="Attempts">{d.attempts}</td>
                      <td data-label="Last response" className="break">
                        {d.lastStatusCode ?? (d.lastError ? <span className="muted">{d.lastError}</span> : '—')}
                      </td>
                      <td data-label="Time" className="nowrap">
                        {formatTime(d.deliveredAt ?? d.lastAttemptAt ?? d.createdAt)}
                      </td>
                      {manage && (
                        <td className="row-actions">
                          <button
                            type="button"
                            className="button button-small"
                            disabled={busy}
                            onClick={() =>
                              act(() => api.redeliverWebhook(s.account.id, id, d.id), 'The event was queued for delivery again.')
                            }
                          >
                            Redeliver
                          </button>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      </div>
      {deleting && (
        <ConfirmModal
          title="Delete endpoint"
          confirmLabel="Delete endpoint"
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await api.deleteWebhook(s.account.id, id);
            toast('Webhook endpoint deleted');
            navigate('/webhooks');
          }}
        >
          <p>
            Events will no longer be sent to <strong className="break">{e.url}</strong>, and its delivery log is deleted.
          </p>
        </ConfirmModal>
      )}
    </>
  );
}
