import { useMemo, useState } from 'react';
import { api, isMissingRoute } from '../api';
import { UsageChart } from '../components/UsageChart';
import { EmptyState, ErrorBanner, Loading, PageHeader } from '../components/ui';
import { formatTime } from '../format';
import { useAsync } from '../hooks';
import { useSession } from '../session';
import { MissingFeature } from './Devices';

const RANGES = [
  { label: 'Last 24 hours', ms: 24 * 3600_000 },
  { label: 'Last 7 days', ms: 7 * 24 * 3600_000 },
  { label: 'Last 30 days', ms: 30 * 24 * 3600_000 },
];

export function UsagePage() {
  const s = useSession();
  const [keyId, setKeyId] = useState('');
  const [range, setRange] = useState(0);
  // Hour-aligned so repeated loads ask for the same buckets.
  const window = useMemo(() => {
    const to = Math.ceil(Date.now() / 3600_000) * 3600_000;
    return { from: to - (RANGES[range]?.ms ?? 0), to };
  }, [range]);
  const keys = useAsync(() => api.listKeys(s.account.id, { includeRevoked: true }), [s.account.id]);
  const usage = useAsync(
    () => api.getUsage(s.account.id, { ...(keyId && { keyId }), from: window.from, to: window.to }),
    [s.account.id, keyId, window],
  );
  const names = new Map((keys.data?.keys ?? []).map((k) => [k.id, k.name]));
  const series = (usage.data?.series ?? []).filter((x) => x.points.some((p) => p.count > 0 || p.rejected > 0));
  const rows = series
    .flatMap((x) => x.points.filter((p) => p.count > 0 || p.rejected > 0).map((p) => ({ keyId: x.keyId, ...p })))
    .sort((a, b) => b.t - a.t || a.keyId.localeCompare(b.keyId));
  return (
    <>
      <PageHeader
        title="Usage"
        subtitle="Verifications per access key, and requests rejected by rate limits or quotas, in hourly buckets."
      />
      <div className="toolbar usage-toolbar">
        <div className="field inline">
          <label htmlFor="usage-key">Access key</label>
          <select id="usage-key" value={keyId} onChange={(e) => setKeyId(e.target.value)}>
            <option value="">All keys</option>
            {(keys.data?.keys ?? []).map((k) => (
              <option key={k.id} value={k.id}>
                {k.name} ({k.start}…)
              </option>
            ))}
          </select>
        </div>
        <div className="field inline">
          <label htmlFor="usage-range">Period</label>
          <select id="usage-range" value={range} onChange={(e) => setRange(Number(e.target.value))}>
            {RANGES.map((r, i) => (
              <option key={r.label} value={i}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {isMissingRoute(usage.error) ? (
        <MissingFeature what="Usage analytics" />
      ) : (
        <ErrorBanner error={usage.error} title="Could not load usage" />
      )}
      {usage.loading && !usage.data ? (
        <Loading />
      ) : usage.error ? null : series.length === 0 ? (
        <EmptyState title="No verifications in this period">Usage appears here once callers present their access keys.</EmptyState>
      ) : (
        <section className="card">
          <h2 className="card-title">Verifications per key</h2>
          <UsageChart series={series} from={window.from} to={window.to} names={names} />
          <details className="data-table">
            <summary>Show the data as a table</summary>
            <div className="table-wrap">
              <table className="table table-compact">
                <caption className="sr-only">Verifications and rejected requests per key per hour</caption>
                <thead>
                  <tr>
                    <th scope="col">Hour</th>
                    <th scope="col">Access key</th>
                    <th scope="col" className="num">
                      Verifications
                    </th>
                    <th scope="col" className="num">
                      Rejected
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={`${r.keyId}-${r.t}`}>
                      <td>{formatTime(r.t)}</td>
                      <td>{names.get(r.keyId) ?? r.keyId}</td>
                      <td className="num">{r.count}</td>
                      <td className="num">{r.rejected}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </section>
      )}
    </>
  );
}
