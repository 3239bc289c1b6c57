import type { AccessKey, Account, UpdateKeyInput } from '@keyward/client/management';
import { useState } from 'react';

/**
 * Rate limits and quotas (issue #12, docs/ratelimits.md) in forms and on pages. The browser checks
 * what the API would refuse (names, numbers, ranges) and says so next to the field; the server
 * checks again.
 */

export const WINDOWS = ['second', 'minute', 'hour', 'day'] as const;
export type Window = (typeof WINDOWS)[number];
const REFILLS = ['daily', 'monthly'] as const;
type Refill = (typeof REFILLS)[number];

type RateLimit = AccessKey['ratelimits'][number];
type Quota = NonNullable<AccessKey['quota']>;
export type LimitsValue = { ratelimits: RateLimit[]; quota: Quota | null };
type LimitsInput = Pick<UpdateKeyInput, 'ratelimits' | 'quota'>;
type RateLimitIn = NonNullable<LimitsInput['ratelimits']>[number];
type DraftValue = { ratelimits: RateLimitIn[]; quota: LimitsInput['quota'] };

/** Same bounds as the API (src/core/ratelimit.ts). */
export const MAX_LIMITS = 10;
const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,49}$/;
const MAX_RATE = 1_000_000_000;
const MAX_CREDITS = 1e15;

interface LimitRow {
  name: string;
  limit: string;
  window: Window;
  burst: string;
}

export interface LimitsDraft {
  rows: LimitRow[];
  quotaOn: boolean;
  credits: string;
  refillOn: boolean;
  refillAmount: string;
  refillInterval: Refill;
}

export function draftOf(v: LimitsValue | null): LimitsDraft {
  return {
    rows: (v?.ratelimits ?? []).map((l) => ({
      name: l.name,
      limit: String(l.limit),
      window: l.window,
      burst: l.burst === null ? '' : String(l.burst),
    })),
    quotaOn: v?.quota != null,
    credits: v?.quota ? String(v.quota.credits) : '',
    refillOn: v?.quota?.refill != null,
    refillAmount: v?.quota?.refill ? String(v.quota.refill.amount) : '',
    refillInterval: v?.quota?.refill?.interval ?? 'daily',
  };
}

export const emptyDraft = (): LimitsDraft => draftOf(null);

type Errors = Record<string, string>;

function wholeNumber(text: string, min: number, max: number, what: string): number | string {
  const t = text.trim();
  if (t === '') return `Enter ${what}.`;
  if (!/^\d+$/.test(t)) return `${what[0]?.toUpperCase()}${what.slice(1)} must be a whole number.`;
  const n = Number(t);
  if (n < min) return `${what[0]?.toUpperCase()}${what.slice(1)} must be at least ${min}.`;
  if (n > max) return `${what[0]?.toUpperCase()}${what.slice(1)} must be at most ${max.toLocaleString('en-GB')}.`;
  return n;
}

/** The draft as the API takes it, or the plain-language error of each field (by input id). */
export function readDraft(prefix: string, d: LimitsDraft): { value: DraftValue } | { errors: Errors } {
  const errors: Errors = {};
  const ratelimits: RateLimitIn[] = [];
  const seen = new Set<string>();
  d.rows.forEach((r, i) => {
    const id = `${prefix}-limit-${i}`;
    const name = r.name.trim();
    if (name === '') errors[`${id}-name`] = 'Give the limit a name, e.g. "default".';
    else if (name.length > 50) errors[`${id}-name`] = 'Names are at most 50 characters.';
    else if (!NAME_RE.test(name))
      errors[`${id}-name`] = 'Use lower-case letters, digits, ".", "_" or "-", starting with a letter or digit.';
    else if (seen.has(name)) errors[`${id}-name`] = 'Another limit already has this name.';
    seen.add(name);
    const limit = wholeNumber(r.limit, 1, MAX_RATE, 'the number of requests');
    if (typeof limit === 'string') errors[`${id}-limit`] = limit;
    const burst = r.burst.trim() === '' ? null : wholeNumber(r.burst, 1, MAX_RATE, 'the burst');
    if (typeof burst === 'string') errors[`${id}-burst`] = burst;
    if (typeof limit === 'number' && typeof burst !== 'string')
      ratelimits.push({ name, limit, window: r.window, ...(burst !== null && { burst }) });
  });
  if (d.rows.length > MAX_LIMITS) errors[`${prefix}-limits`] = `At most ${MAX_LIMITS} limits.`;
  let quota: LimitsInput['quota'] = null;
  if (d.quotaOn) {
    const credits = wholeNumber(d.credits, 0, MAX_CREDITS, 'the credits');
    if (typeof credits === 'string') errors[`${prefix}-credits`] = credits;
    let refill: { amount: number; interval: Refill } | null = null;
    if (d.refillOn) {
      const amount = wholeNumber(d.refillAmount, 0, MAX_CREDITS, 'the refill amount');
      if (typeof amount === 'string') errors[`${prefix}-refill-amount`] = amount;
      else refill = { amount, interval: d.refillInterval };
    }
    if (typeof credits === 'number') quota = { credits, refill };
  }
  if (Object.keys(errors).length > 0) return { errors };
  return { value: { ratelimits, quota } };
}

/**
 * The fields a change must send: only what changed (a change of limits is audited and drops the
 * verification caches; setting the quota starts a new count of credits).
 */
export function limitsPatch(before: LimitsValue, after: DraftValue): LimitsInput {
  const norm = (l: RateLimit | RateLimitIn) => JSON.stringify([l.name, l.limit, l.window, l.burst ?? null]);
  const sameLimits =
    before.ratelimits.length === after.ratelimits.length &&
    before.ratelimits.every((l, i) => norm(l) === norm(after.ratelimits[i] as RateLimitIn));
  const q = after.quota ?? null;
  const sameQuota =
    (q === null && before.quota === null) ||
    (q !== null &&
      before.quota !== null &&
      q.credits === before.quota.credits &&
      (q.refill ?? null)?.amount === before.quota.refill?.amount &&
      (q.refill ?? null)?.interval === before.quota.refill?.interval);
  return { ...(!sameLimits && { ratelimits: after.ratelimits }), ...(!sameQuota && { quota: q }) };
}

function FieldError({ id, errors }: { id: string; errors: Errors }) {
  const msg = errors[id];
  if (!msg) return null;
  return (
    <p className="field-error" id={`${id}-error`}>
      {msg}
    </p>
  );
}

const invalid = (id: string, errors: Errors) =>
  errors[id] ? { 'aria-invalid': true as const, 'aria-describedby': `${id}-error` } : ({} as Record<string, never>);

/** Named rate limits and a quota of credits, as form fields. */
export function LimitsFields({
  prefix,
  draft,
  onChange,
  errors,
  quotaHint,
}: {
  prefix: string;
  draft: LimitsDraft;
  onChange(d: LimitsDraft): void;
  errors: Errors;
  quotaHint?: string;
}) {
  const set = (patch: Partial<LimitsDraft>) => onChange({ ...draft, ...patch });
  const setRow = (i: number, patch: Partial<LimitRow>) => set({ rows: draft.rows.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  return (
    <div className="limits-fields">
      <fieldset className="limits-group">
        <legend>Rate limits</legend>
        <p className="hint">Requests allowed per window. Burst is how many may come at once (default: the limit).</p>
        {draft.rows.length === 0 && <p className="muted small">No rate limits.</p>}
        {draft.rows.map((r, i) => {
          const id = `${prefix}-limit-${i}`;
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their position
            <fieldset className="limit-row" key={i}>
              <legend className="sr-only">{`Rate limit ${i + 1}`}</legend>
              <div className="field">
                <label htmlFor={`${id}-name`}>Limit name</label>
                <input
                  id={`${id}-name`}
                  value={r.name}
                  maxLength={50}
                  autoComplete="off"
                  onChange={(e) => setRow(i, { name: e.target.value })}
                  {...invalid(`${id}-name`, errors)}
                />
                <FieldError id={`${id}-name`} errors={errors} />
              </div>
              <div className="field">
                <label htmlFor={`${id}-limit`}>Requests</label>
                <input
                  id={`${id}-limit`}
                  type="number"
                  inputMode="numeric"
                  value={r.limit}
                  onChange={(e) => setRow(i, { limit: e.target.value })}
                  {...invalid(`${id}-limit`, errors)}
                />
                <FieldError id={`${id}-limit`} errors={errors} />
              </div>
              <div className="field">
                <label htmlFor={`${id}-window`}>Per</label>
                <select id={`${id}-window`} value={r.window} onChange={(e) => setRow(i, { window: e.target.value as Window })}>
                  {WINDOWS.map((w) => (
                    <option key={w} value={w}>
                      {w}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor={`${id}-burst`}>
                  Burst<span className="optional"> (optional)</span>
                </label>
                <input
                  id={`${id}-burst`}
                  type="number"
                  inputMode="numeric"
                  value={r.burst}
                  onChange={(e) => setRow(i, { burst: e.target.value })}
                  {...invalid(`${id}-burst`, errors)}
                />
                <FieldError id={`${id}-burst`} errors={errors} />
              </div>
              <button
                type="button"
                className="button button-small limit-remove"
                aria-label={`Remove rate limit ${r.name || i + 1}`}
                onClick={() => set({ rows: draft.rows.filter((_, j) => j !== i) })}
              >
                Remove
              </button>
            </fieldset>
          );
        })}
        <button
          type="button"
          className="button button-small"
          disabled={draft.rows.length >= MAX_LIMITS}
          title={draft.rows.length >= MAX_LIMITS ? `At most ${MAX_LIMITS} limits` : undefined}
          onClick={() =>
            set({ rows: [...draft.rows, { name: draft.rows.length === 0 ? 'default' : '', limit: '', window: 'minute', burst: '' }] })
          }
        >
          Add rate limit
        </button>
        <FieldError id={`${prefix}-limits`} errors={errors} />
      </fieldset>
      <fieldset className="limits-group">
        <legend>Quota</legend>
        <div className="check">
          <input id={`${prefix}-quota-on`} type="checkbox" checked={draft.quotaOn} onChange={(e) => set({ quotaOn: e.target.checked })} />
          <label htmlFor={`${prefix}-quota-on`}>
            Limit the total number of credits
            <span className="hint">{quotaHint ?? 'Each successful verification spends one credit (or its cost).'}</span>
          </label>
        </div>
        {draft.quotaOn && (
          <div className="limit-row">
            <div className="field">
              <label htmlFor={`${prefix}-credits`}>Credits</label>
              <input
                id={`${prefix}-credits`}
                type="number"
                inputMode="numeric"
                value={draft.credits}
                onChange={(e) => set({ credits: e.target.value })}
                {...invalid(`${prefix}-credits`, errors)}
              />
              <FieldError id={`${prefix}-credits`} errors={errors} />
            </div>
            <div className="check refill-check">
              <input
                id={`${prefix}-refill-on`}
                type="checkbox"
                checked={draft.refillOn}
                onChange={(e) => set({ refillOn: e.target.checked })}
              />
              <label htmlFor={`${prefix}-refill-on`}>Refill</label>
            </div>
            {draft.refillOn && (
              <>
                <div className="field">
                  <label htmlFor={`${prefix}-refill-amount`}>Refill to</label>
                  <input
                    id={`${prefix}-refill-amount`}
                    type="number"
                    inputMode="numeric"
                    value={draft.refillAmount}
                    onChange={(e) => set({ refillAmount: e.target.value })}
                    {...invalid(`${prefix}-refill-amount`, errors)}
                  />
                  <FieldError id={`${prefix}-refill-amount`} errors={errors} />
                </div>
                <div className="field">
                  <label htmlFor={`${prefix}-refill-interval`}>Every</label>
                  <select
                    id={`${prefix}-refill-interval`}
                    value={draft.refillInterval}
                    onChange={(e) => set({ refillInterval: e.target.value as Refill })}
                  >
                    <option value="daily">day (UTC)</option>
                    <option value="monthly">month (UTC)</option>
                  </select>
                </div>
              </>
            )}
          </div>
        )}
      </fieldset>
    </div>
  );
}

/** Form state for LimitsFields, with the errors of the last submit (cleared field by field as the user types). */
export function useLimitsDraft(initial: LimitsValue | null) {
  const [draft, setDraft] = useState<LimitsDraft>(() => draftOf(initial));
  const [errors, setErrors] = useState<Errors>({});
  return {
    draft,
    errors,
    setErrors,
    onChange(d: LimitsDraft) {
      setDraft(d);
      if (Object.keys(errors).length > 0) setErrors({});
    },
  };
}

/** Thrown by a form's submit when the browser-side checks fail: the fields show why, the banner says so. */
export class FormCheckError extends Error {
  constructor() {
    super('Some fields need attention: see the messages next to them.');
    this.name = 'FormCheckError';
  }
}

const per = (w: string) => ({ second: 's', minute: 'min', hour: 'h', day: 'day' })[w] ?? w;

export const limitText = (l: RateLimit) =>
  `${l.limit.toLocaleString('en-GB')} per ${per(l.window)}${l.burst !== null ? ` (burst ${l.burst.toLocaleString('en-GB')})` : ''}`;

export function quotaText(q: Quota): string {
  const left =
    q.remaining === null ? `${q.credits.toLocaleString('en-GB')} credits` : `${q.remaining.toLocaleString('en-GB')} credits left`;
  const refill = q.refill
    ? `, refilled to ${q.refill.amount.toLocaleString('en-GB')} ${q.refill.interval === 'daily' ? 'daily' : 'monthly'}`
    : '';
  return `${left}${refill}`;
}

/** One line for tables: "default 10 per min · 0 credits left". */
export function limitsSummary(v: LimitsValue): string | null {
  const parts = v.ratelimits.map((l) => `${l.name} ${limitText(l)}`);
  if (v.quota) parts.push(quotaText(v.quota));
  return parts.length === 0 ? null : parts.join(' · ');
}

/** Limits and quota as a definition list, for a key or an account. */
export function LimitsDetails({
  value,
  plan,
  none = 'No rate limits or quota.',
}: {
  value: LimitsValue;
  plan?: string | null;
  none?: string;
}) {
  if (value.ratelimits.length === 0 && value.quota === null && !plan) return <p className="muted">{none}</p>;
  return (
    <dl className="details">
      {plan !== undefined && (
        <>
          <dt>Plan</dt>
          <dd>{plan ?? <span className="muted">None</span>}</dd>
        </>
      )}
      <dt>Rate limits</dt>
      <dd>
        {value.ratelimits.length === 0 ? (
          <span className="muted">None</span>
        ) : (
          <ul className="plain-list" aria-label="Rate limits">
            {value.ratelimits.map((l) => (
              <li key={l.name}>
                <strong>{l.name}</strong>: {limitText(l)}
              </li>
            ))}
          </ul>
        )}
      </dd>
      <dt>Quota</dt>
      <dd>
        {value.quota === null ? (
          <span className="muted">None</span>
        ) : (
          <>
            <span className="quota-remaining" data-testid="quota-remaining">
              {value.quota.remaining === null ? '—' : value.quota.remaining.toLocaleString('en-GB')}
            </span>{' '}
            of {value.quota.credits.toLocaleString('en-GB')} credits left
            {value.quota.refill && (
              <div className="hint">
                Refilled to {value.quota.refill.amount.toLocaleString('en-GB')} every{' '}
                {value.quota.refill.interval === 'daily' ? 'day' : 'month'} (UTC).
              </div>
            )}
            <div className="hint">As last written: spends of the last second may not be counted yet.</div>
          </>
        )}
      </dd>
    </dl>
  );
}

export const accountLimits = (a: Account): LimitsValue => ({ ratelimits: a.ratelimits, quota: a.quota });
export const keyLimits = (k: AccessKey): LimitsValue => ({ ratelimits: k.ratelimits, quota: k.quota });
