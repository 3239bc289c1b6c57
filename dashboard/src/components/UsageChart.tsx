import type { UsageSeries } from '@keyward/client/management';
import { type ReactNode, useEffect, useRef, useState } from 'react';

/**
 * Each series differs by three things, so none depends on colour alone and overlapping points
 * stay visible: a colour (CSS variables, light and dark), a dash pattern and a marker shape.
 * Refusals by a rate limit or quota: one line over all the keys shown, in a colour no key gets.
 */
const SERIES = 8;
const DASHES = ['', '7 4', '2 3', '10 3 2 3', '', '7 4', '2 3', '10 3 2 3'];
type Shape = 'circle' | 'square' | 'triangle' | 'diamond' | 'cross';
const SHAPES: Shape[] = ['circle', 'square', 'triangle', 'diamond', 'cross', 'triangle', 'circle', 'square'];
const REJECTED_DASH = '5 3';

export const colorOf = (i: number) => `var(--series-${i % SERIES})`;
export const REJECTED_COLOR = 'var(--series-rejected)';
const dashOf = (i: number) => DASHES[i % SERIES] || undefined;
const shapeOf = (i: number) => SHAPES[i % SERIES] as Shape;

const H = 260;
const PAD = { left: 44, right: 16, top: 16, bottom: 32 };
/** The axis text is drawn at this size in CSS pixels: the SVG is drawn at the size it is shown, never scaled down. */
export const AXIS_FONT_PX = 12;

const hourFmt = new Intl.DateTimeFormat('en-GB', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat('en-GB', { month: 'short', day: 'numeric' });
const timeFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function niceMax(n: number): number {
  if (n <= 5) return 5;
  const pow = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * pow >= n) return m * pow;
  return 10 * pow;
}

/** Rejected requests per hour, summed over the keys shown. */
export function rejectedPoints(series: UsageSeries[]): { t: number; rejected: number }[] {
  const byHour = new Map<number, number>();
  for (const s of series) for (const p of s.points) if (p.rejected > 0) byHour.set(p.t, (byHour.get(p.t) ?? 0) + p.rejected);
  return [...byHour].map(([t, rejected]) => ({ t, rejected })).sort((a, b) => a.t - b.t);
}

/**
 * Time axis ticks on round local times inside [from, to]: every `hours` hours on a 24-hour range
 * (a midnight tick reads as its date, so the axis never shows "01:00 … 01:00"), else local midnights
 * every `days` days, read as dates.
 */
export function timeTicks(from: number, to: number, width: number): { t: number; label: string }[] {
  const span = to - from;
  const room = Math.max(2, Math.floor((width - PAD.left - PAD.right) / 70));
  const ticks: { t: number; label: string }[] = [];
  if (span <= 2 * DAY) {
    const hours = [1, 2, 3, 4, 6, 8, 12, 24].find((h) => span / (h * HOUR) <= room) ?? 24;
    const start = new Date(from);
    start.setMinutes(0, 0, 0);
    for (let d = start; d.getTime() <= to; d = new Date(d.getTime() + HOUR)) {
      // Not the first instant: a 24-hour range would start and end on the same clock time.
      if (d.getTime() <= from || d.getHours() % hours !== 0) continue;
      ticks.push({ t: d.getTime(), label: d.getHours() === 0 ? dayFmt.format(d) : timeFmt.format(d) });
    }
    return ticks;
  }
  const days = [1, 2, 5, 7, 10, 15].find((n) => span / (n * DAY) <= room) ?? 30;
  const start = new Date(from);
  start.setHours(0, 0, 0, 0);
  let i = 0;
  for (let d = start; d.getTime() <= to; d = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1)) {
    if (d.getTime() >= from && i++ % days === 0) ticks.push({ t: d.getTime(), label: dayFmt.format(d) });
  }
  return ticks;
}

function Marker({ shape, x, y, color, children }: { shape: Shape; x: number; y: number; color: string; children?: ReactNode }) {
  const style = { fill: color, stroke: color };
  switch (shape) {
    case 'square':
      return (
        <rect x={x - 3.5} y={y - 3.5} width={7} height={7} style={style}>
          {children}
        </rect>
      );
    case 'triangle':
      return (
        <polygon points={`${x},${y - 4.5} ${x + 4.5},${y + 3.5} ${x - 4.5},${y + 3.5}`} style={style}>
          {children}
        </polygon>
      );
    case 'diamond':
      return (
        <polygon points={`${x},${y - 5} ${x + 5},${y} ${x},${y + 5} ${x - 5},${y}`} style={style}>
          {children}
        </polygon>
      );
    case 'cross':
      return (
        <path d={`M${x - 4} ${y - 4}L${x + 4} ${y + 4}M${x + 4} ${y - 4}L${x - 4} ${y + 4}`} style={{ ...style, strokeWidth: 2.5 }}>
          {children}
        </path>
      );
    default:
      return (
        <circle cx={x} cy={y} r={3.5} style={style}>
          {children}
        </circle>
      );
  }
}

/** A legend sample: the series' line, dash and marker. */
function LegendSample({ color, dash, shape }: { color: string; dash?: string; shape?: Shape }) {
  return (
    <svg className="legend-sample" width={30} height={12} viewBox="0 0 30 12" aria-hidden="true">
      <line x1={1} x2={29} y1={6} y2={6} style={{ stroke: color, strokeWidth: 2, strokeDasharray: dash }} />
      {shape ? <Marker shape={shape} x={15} y={6} color={color} /> : <rect x={12} y={3} width={6} height={6} style={{ fill: color }} />}
    </svg>
  );
}

/** The width the chart is shown at, so it is drawn at 1:1 (readable text on a phone). */
function useWidth(fallback: number) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setWidth(Math.max(280, Math.round(el.clientWidth)));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width] as const;
}

/**
 * Verifications per key over time, and the requests rate limits or quotas rejected, drawn as
 * inline SVG; the page also renders the numbers as a table.
 */
export function UsageChart({
  series,
  from,
  to,
  names,
  unit = 'key',
}: {
  series: UsageSeries[];
  from: number;
  to: number;
  names: Map<string, string>;
  /** What the series are: keys (verifications) or devices (signed requests, under `keyId` = the device ID). */
  unit?: 'key' | 'device';
}) {
  const [box, W] = useWidth(760);
  const rejected = rejectedPoints(series);
  const totalRejected = rejected.reduce((n, p) => n + p.rejected, 0);
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.count)), ...rejected.map((p) => p.rejected)));
  const x = (t: number) => PAD.left + ((t - from) / Math.max(1, to - from)) * (W - PAD.left - PAD.right);
  const y = (c: number) => H - PAD.bottom - (c / max) * (H - PAD.top - PAD.bottom);
  const yTicks = [0, 1, 2, 3, 4, 5].map((i) => (max * i) / 5);
  const xTicks = timeTicks(from, to, W);
  const total = series.reduce((n, s) => n + s.points.reduce((m, p) => m + p.count, 0), 0);
  return (
    <figure className="chart">
      <div ref={box} className="chart-box">
        <svg
          width={W}
          height={H}
          viewBox={`0 0 ${W} ${H}`}
          role="img"
          aria-label={`${unit === 'device' ? 'Signed requests per device' : 'Verifications per key'} over time: ${total} in total across ${series.length} ${unit}${series.length === 1 ? '' : 's'}${totalRejected > 0 ? `; ${totalRejected} rejected by rate limits or quotas` : ''}`}
        >
          {yTicks.map((v) => (
            <g key={v}>
              <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} className="grid" />
              <text x={PAD.left - 8} y={y(v) + 4} textAnchor="end" className="axis" style={{ fontSize: AXIS_FONT_PX }}>
                {v}
              </text>
            </g>
          ))}
          {xTicks.map((tick) => {
            const at = x(tick.t);
            // Keep the first and last labels inside the drawing.
            const anchor = at - PAD.left < 30 ? 'start' : W - PAD.right - at < 30 ? 'end' : 'middle';
            return (
              <g key={tick.t}>
                <line x1={at} x2={at} y1={H - PAD.bottom} y2={H - PAD.bottom + 4} className="grid" />
                <text x={at} y={H - 10} textAnchor={anchor} className="axis" style={{ fontSize: AXIS_FONT_PX }}>
                  {tick.label}
                </text>
              </g>
            );
          })}
          {series.map((s, i) => {
            const pts = [...s.points].sort((a, b) => a.t - b.t);
            const color = colorOf(i);
            return (
              <g key={s.keyId} className="series" data-shape={shapeOf(i)}>
                <polyline
                  fill="none"
                  style={{ stroke: color, strokeDasharray: dashOf(i) }}
                  strokeWidth={2}
                  strokeLinejoin="round"
                  points={pts.map((p) => `${x(p.t)},${y(p.count)}`).join(' ')}
                />
                {pts.map((p) => (
                  <Marker key={p.t} shape={shapeOf(i)} x={x(p.t)} y={y(p.count)} color={color}>
                    <title>{`${names.get(s.keyId) ?? s.keyId}: ${p.count} at ${hourFmt.format(new Date(p.t))}`}</title>
                  </Marker>
                ))}
              </g>
            );
          })}
          {totalRejected > 0 && (
            <g className="series-rejected">
              <polyline
                fill="none"
                style={{ stroke: REJECTED_COLOR }}
                strokeWidth={2}
                strokeDasharray={REJECTED_DASH}
                strokeLinejoin="round"
                points={rejected.map((p) => `${x(p.t)},${y(p.rejected)}`).join(' ')}
              />
              {rejected.map((p) => (
                <rect key={p.t} x={x(p.t) - 3} y={y(p.rejected) - 3} width={6} height={6} style={{ fill: REJECTED_COLOR }}>
                  <title>{`Rejected (rate limits, quotas): ${p.rejected} at ${hourFmt.format(new Date(p.t))}`}</title>
                </rect>
              ))}
            </g>
          )}
        </svg>
      </div>
      <figcaption>
        <ul className="legend">
          {series.map((s, i) => (
            <li key={s.keyId}>
              <LegendSample color={colorOf(i)} dash={dashOf(i)} shape={shapeOf(i)} />
              {names.get(s.keyId) ?? s.keyId}
            </li>
          ))}
          {totalRejected > 0 && (
            <li>
              <LegendSample color={REJECTED_COLOR} dash={REJECTED_DASH} />
              Rejected (rate-limited or over quota): {totalRejected}
            </li>
          )}
        </ul>
      </figcaption>
    </figure>
  );
}
