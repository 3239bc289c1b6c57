import type { AuditEvent } from '@keyward/client/management';
import { useEffect, useState } from 'react';
import { api } from '../api';
import { EmptyState, ErrorBanner, Loading, PageHeader } from '../components/ui';
import { formatTime } from '../format';
import { useSession } from '../session';

const PAGE = 50;

function describe(e: AuditEvent): string {
  const d = e.details;
  const name = typeof d.name === 'string' ? d.name : typeof d.email === 'string' ? d.email : '';
  return name ? `${name}` : '';
}

export function AuditPage() {
  const s = useSession();
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [users, setUsers] = useState(new Map<string, string>());

  const load = async (cursor?: string) => {
    setLoading(true);
    setError(null);
    try {
      const r = await api.listAuditEvents(s.account.id, { limit: PAGE, ...(cursor !== undefined && { cursor }) });
      setEvents((prev) => (cursor === undefined ? r.events : [...prev, ...r.events]));
      setNext(r.nextCursor);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload only when the account changes.
  useEffect(() => {
    load();
    api.listUsers(s.account.id).then(
      (r) => setUsers(new Map(r.users.map((u) => [u.id, u.name]))),
      () => {},
    );
  }, [s.account.id]);

  return (
    <>
      <PageHeader
        title="Audit log"
        subtitle="Who did what to which credential, when and from where. Newest first; entries cannot be changed."
      />
      <ErrorBanner error={error} title="Could not load the audit log" />
      {loading && events.length === 0 ? (
        <Loading />
      ) : events.length === 0 && !error ? (
        <EmptyState title="No events yet" />
      ) : (
        // A region that scrolls sideways on a phone: focusable, so the keyboard can scroll it (axe scrollable-region-focusable).
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus to be scrolled without a mouse
        <section className="table-wrap" aria-label="Audit events" tabIndex={0}>
          <table className="table">
            <caption className="sr-only">Audit events</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Actor</th>
                <th scope="col">IP address</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td className="nowrap">{formatTime(e.createdAt)}</td>
                  <td>
                    <code className="action">{e.action}</code>
                  </td>
                  <td>
                    <span className="muted">{e.targetType}</span> <code className="mono id">{e.targetId}</code>
                    {describe(e) && <div className="small">{describe(e)}</div>}
                  </td>
                  <td>
                    {e.actorId ? (
                      (users.get(e.actorId) ?? <code className="mono id">{e.actorId}</code>)
                    ) : (
                      <span className="muted">System</span>
                    )}
                  </td>
                  <td className="mono">{e.ip ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {next !== null && (
        <div className="load-more">
          <button type="button" className="button" disabled={loading} onClick={() => load(next)}>
            {loading ? 'Loading…' : 'Load older events'}
          </button>
        </div>
      )}
    </>
  );
}
