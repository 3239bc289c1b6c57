import type { UsageSeries } from '@keyward/client/management';

/** Refusals by a rate limit or quota: one dashed line over all the keys shown, in a colour no key gets. */
export const REJECTED_COLOR = '#b3261e';
const COLORS = ['#2747d6', '#0f9d74', '#d9622b', '#8b3fd1', '#c2185b', '#00838f', '#7c8b00', '#5d4037'];
const W = 760;
const H = 260;
const PAD = { left: 44, right: 16, top: 16, bottom: 32 };

const hourFmt = new Intl.DateTimeFormat('en-GB', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat('en-GB', { month: 'short', day: 'numeric' });
const timeFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });

function niceMax(n: number): number {
  if (n <= 5) return 5;
  const pow = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * pow >= n) return m * pow;
  return 10 * pow;
}

export const colorOf = (i: number) => COLORS[i % COLORS.length] as string;

/** Rejected requests per hour, summed over the keys shown. */
export function rejectedPoints(series: UsageSeries[]): { t: number; rejected: number }[] {
  const byHour = new Map<number, number>();
  for (const s of series) for (const p of s.points) if (p.rejected > 0) byHour.set(p.t, (byHour.get(p.t) ?? 0) + p.rejected);
  return [...byHour].map(([t, rejected]) => ({ t, rejected })).sort((a, b) => a.t - b.t);
}

/**
 * Verifications per key over time, and the requests rate limits or quotas rejected, drawn as
 * inline SVG; the page also renders the numbers as a table.
 */
export function UsageChart({ series, from, to, names }: { series: UsageSeries[]; from: number; to: number; names: Map<string, string> }) {
  const rejected = rejectedPoints(series);
  const totalRejected = rejected.reduce((n, p) => n + p.rejected, 0);
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.count)), ...rejected.map((p) => p.rejected)));
  const x = (t: number) => PAD.left + ((t - from) / Math.max(1, to - from)) * (W - PAD.left - PAD.right);
  const y = (c: number) => H - PAD.bottom - (c / max) * (H - PAD.top - PAD.bottom);
  const yTicks = [0, 1, 2, 3, 4, 5].map((i) => (max * i) / 5);
  const span = to - from;
  const step = span <= 86_400_000 ? 4 * 3_600_000 : span <= 7 * 86_400_000 ? 86_400_000 : 5 * 86_400_000;
  const xTicks = Array.from({ length: Math.floor(span / step) + 1 }, (_, i) => from + i * step);
  const fmt = span > 86_400_000 ? dayFmt : timeFmt;
  const total = series.reduce((n, s) => n + s.points.reduce((m, p) => m + p.count, 0), 0);
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`Verifications per key over time: ${total} in total across ${series.length} key${series.length === 1 ? '' : 's'}${totalRejected > 0 ? `; ${totalRejected} rejected by rate limits or quotas` : ''}`}
      >
        {yTicks.map((v) => (
          <g key={v}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} className="grid" />
            <text x={PAD.left - 8} y={y(v) + 4} textAnchor="end" className="axis">
              {v}
            </text>
          </g>
        ))}
        {xTicks.map((t, i) => (
          <text key={t} x={x(t)} y={H - 10} textAnchor={i === 0 ? 'start' : i === xTicks.length - 1 ? 'end' : 'middle'} className="axis">
            {fmt.format(new Date(t))}
          </text>
        ))}
        {series.map((s, i) => {
          const pts = [...s.points].sort((a, b) => a.t - b.t);
          const color = colorOf(i);
          return (
            <g key={s.keyId}>
              <polyline
                fill="none"
                stroke={color}
                strokeWidth={2}
                strokeLinejoin="round"
                points={pts.map((p) => `${x(p.t)},${y(p.count)}`).join(' ')}
              />
              {pts.map((p) => (
                <circle key={p.t} cx={x(p.t)} cy={y(p.count)} r={3} fill={color}>
                  <title>{`${names.get(s.keyId) ?? s.keyId}: ${p.count} at ${hourFmt.format(new Date(p.t))}`}</title>
                </circle>
              ))}
            </g>
          );
        })}
        {totalRejected > 0 && (
          <g className="series-rejected">
            <polyline
              fill="none"
              stroke={REJECTED_COLOR}
              strokeWidth={2}
              strokeDasharray="6 4"
              strokeLinejoin="round"
              points={rejected.map((p) => `${x(p.t)},${y(p.rejected)}`).join(' ')}
            />
            {rejected.map((p) => (
              <rect key={p.t} x={x(p.t) - 3} y={y(p.rejected) - 3} width={6} height={6} fill={REJECTED_COLOR}>
                <title>{`Rejected (rate limits, quotas): ${p.rejected} at ${hourFmt.format(new Date(p.t))}`}</title>
              </rect>
            ))}
          </g>
        )}
      </svg>
      <figcaption>
        <ul className="legend">
          {series.map((s, i) => (
            <li key={s.keyId}>
              <span className="swatch" style={{ background: colorOf(i) }} aria-hidden="true" />
              {names.get(s.keyId) ?? s.keyId}
            </li>
          ))}
          {totalRejected > 0 && (
            <li>
              <span className="swatch swatch-dashed" style={{ borderColor: REJECTED_COLOR }} aria-hidden="true" />
              Rejected (rate-limited or over quota): {totalRejected}
            </li>
          )}
        </ul>
      </figcaption>
    </figure>
  );
}
