import { KeywardApiError } from '@keyward/client/management';
import { type ReactNode, useEffect, useId, useState } from 'react';
import { formatTime, relative } from '../format';
import { toast } from './Toast';

/** Headlines for the error codes a user can act on; the API's own message follows underneath. */
const CODE_TITLES: Record<string, string> = {
  FORBIDDEN: 'You do not have permission to do this',
  SCOPE_NOT_GRANTABLE: 'You cannot grant a scope you do not hold',
  VALIDATION_FAILED: 'Please check the form',
  APPLICATION_LIMIT_REACHED: 'Application limit reached',
  KEY_LIMIT_REACHED: 'Access key limit reached',
  EXPIRY_IN_PAST: 'The expiry date must be in the future',
  EMAIL_TAKEN: 'This email is already in use',
  LAST_ADMIN: 'The account needs at least one admin',
  CANNOT_DELETE_SELF: 'You cannot delete yourself',
  ALREADY_REVOKED: 'Already revoked',
  CONFIRMATION_REQUIRED: 'The confirmation does not match',
  CONFIRMATION_MISMATCH: 'The confirmation does not match',
  RECENT_USE_CONFIRMATION_REQUIRED: 'This key was used within the past 3 days',
  RATE_LIMITED: 'Too many requests: wait a moment and try again',
  UNKNOWN_PLAN: 'There is no plan of that name',
  NETWORK_ERROR: 'Keyward could not be reached',
};

/** Messages written for API callers ("send confirmRecentUse: true…") replaced by what a person should do. */
const CODE_MESSAGES: Record<string, string> = {
  RECENT_USE_CONFIRMATION_REQUIRED: 'Tick the confirmation below to delete a key that is still in use, then try again.',
  CONFIRMATION_REQUIRED: 'Type the confirmation phrase exactly as shown.',
  CONFIRMATION_MISMATCH: 'What you typed does not match. Type it exactly as shown.',
  EXPIRY_IN_PAST: 'Choose a date from today onwards.',
};

/** Zod's words (`Too small: expected string to have >=10 characters`) as a person would say them. */
export function plainIssue(message: string): string {
  let m = /^Too small: expected string to have >=(\d+) characters?/.exec(message);
  if (m) return m[1] === '1' ? 'This field is required.' : `Use at least ${m[1]} characters.`;
  m = /^Too big: expected string to have <=(\d+) characters?/.exec(message);
  if (m) return `Use at most ${m[1]} characters.`;
  m = /^Too small: expected array to have >=(\d+) items?/.exec(message);
  if (m) return `Choose at least ${m[1]}.`;
  m = /^Too big: expected array to have <=(\d+) items?/.exec(message);
  if (m) return `Choose at most ${m[1]}.`;
  m = /^Too small: expected (?:number|int) to be >=?(-?[\d.e+]+)/.exec(message);
  if (m) return `Enter at least ${m[1]}.`;
  m = /^Too big: expected (?:number|int) to be <=?(-?[\d.e+]+)/.exec(message);
  if (m) return `Enter at most ${m[1]}.`;
  if (/^Invalid email/i.test(message)) return 'Enter an email address, like name@example.com.';
  if (/^Invalid (url|URL)/.test(message)) return 'Enter a full URL, like https://example.com/hooks.';
  if (/received undefined$/.test(message)) return 'This field is required.';
  if (/^Invalid option/.test(message)) return 'Choose one of the options.';
  return message.charAt(0).toUpperCase() + message.slice(1);
}

export interface Issue {
  /** The body field it is about (`password`, `ratelimits.0.limit`), without the `body.` prefix. */
  field: string;
  message: string;
}

/** The plain-language issues of a VALIDATION_FAILED answer; [] for any other error. */
export function validationIssues(error: unknown): Issue[] {
  if (!(error instanceof KeywardApiError) || error.code !== 'VALIDATION_FAILED') return [];
  const details = error.details as { issues?: { path?: unknown; message?: unknown }[] } | undefined;
  const raw = Array.isArray(details?.issues) ? details.issues : [];
  const issues = raw
    .filter((i) => typeof i.path === 'string' && typeof i.message === 'string')
    .map((i) => ({ field: (i.path as string).replace(/^(body|query|params)\.?/, ''), message: plainIssue(i.message as string) }));
  if (issues.length > 0) return issues;
  const m = /^(?:body|query|params)\.([\w.]+): (.*)$/.exec(error.message);
  return m ? [{ field: m[1] as string, message: plainIssue(m[2] as string) }] : [];
}

const fieldWords = (field: string) => {
  const last =
    field
      .split('.')
      .filter((p) => !/^\d+$/.test(p))
      .pop() ?? field;
  const words = last.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** What the banner says for an error: the plain words, never a developer hint. */
export function plainMessage(error: unknown): string {
  const issues = validationIssues(error);
  if (issues.length > 0) return issues.map((i) => (i.field ? `${fieldWords(i.field)}: ${i.message}` : i.message)).join(' ');
  if (error instanceof KeywardApiError && CODE_MESSAGES[error.code]) return CODE_MESSAGES[error.code] as string;
  return error instanceof Error ? error.message : String(error);
}

export function ErrorBanner({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const code = error instanceof KeywardApiError ? error.code : undefined;
  const message = plainMessage(error);
  const requestId = error instanceof KeywardApiError ? error.requestId : undefined;
  return (
    <div className="banner banner-error" role="alert">
      <strong>
        {title ??
          (code && CODE_TITLES[code]) ??
          (error instanceof Error && error.name === 'FormCheckError' ? 'Please check the form' : 'Something went wrong')}
      </strong>
      <span className="banner-message">{message}</span>
      {code && (
        <span className="banner-meta">
          Error code <code>{code}</code>
          {requestId && (
            <>
              {' '}
              · request <code>{requestId}</code>
            </>
          )}
        </span>
      )}
    </div>
  );
}

export function Notice({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'warning' | 'success' }) {
  return (
    <div className={`banner banner-${tone}`} role={tone === 'warning' ? 'alert' : 'status'}>
      <div>{children}</div>
    </div>
  );
}

export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: ReactNode; actions?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Keyward`;
  }, [title]);
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle && <p className="page-subtitle">{subtitle}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}

/** Grey bars in the shape of the content that is loading; screen readers hear the label instead. */
export function Skeleton({ lines = 4 }: { lines?: number }) {
  return (
    <span className="skeleton" aria-hidden="true">
      {Array.from({ length: lines }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: identical placeholder bars
        <span key={i} className="skeleton-line" style={{ width: i === 0 ? undefined : `${92 - ((i * 17) % 35)}%` }} />
      ))}
    </span>
  );
}

export function Loading({ label = 'Loading…', lines = 4 }: { label?: string; lines?: number }) {
  return (
    <div className="loading-skeleton" role="status" aria-live="polite">
      <span className="sr-only">{label}</span>
      <Skeleton lines={lines} />
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty">
      <h2>{title}</h2>
      {children && <p>{children}</p>}
      {action}
    </div>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{status[0]?.toUpperCase() + status.slice(1)}</span>;
}

/** A key reported as leaked (POST /v1/leaks): the badge carries the time; nothing when never reported. */
export function LeakedBadge({ leakedAt }: { leakedAt: number | null | undefined }) {
  if (leakedAt == null) return null;
  const when = formatTime(leakedAt);
  return (
    <span className="badge badge-leaked" title={`Reported leaked ${when}`}>
      Leaked <time dateTime={new Date(leakedAt).toISOString()}>{when}</time>
    </span>
  );
}

export function Field({ label, hint, children, id }: { label: string; hint?: ReactNode; children: ReactNode; id: string }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
}

/** A secret in a read-only box with a Copy button; the only place a secret is ever rendered. */
export function SecretBox({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      const input = document.getElementById('secret-value') as HTMLInputElement | null;
      input?.select();
      document.execCommand?.('copy');
      setCopied(true);
    }
  };
  return (
    <div className="secret">
      <label htmlFor="secret-value">{label}</label>
      <div className="secret-row">
        <input id="secret-value" className="mono" readOnly value={value} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" className="button" onClick={copy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <span className="sr-only" aria-live="polite">
        {copied ? 'Copied to the clipboard' : ''}
      </span>
    </div>
  );
}

export function Code({ children }: { children: ReactNode }) {
  return <code className="mono id">{children}</code>;
}

const exactTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
/** A time to the second, with its zone offset: the exact moment behind a relative time. */
export const formatExact = (ms: number) => `${exactTime.format(new Date(ms))} (UTC${utcOffset(ms)})`;
function utcOffset(ms: number): string {
  const m = -new Date(ms).getTimezoneOffset();
  if (m === 0) return '';
  const a = Math.abs(m);
  return `${m < 0 ? '−' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** "5 min ago" with the exact time on hover (title) and for machines (datetime); "Never" without a time. */
export function Ago({ ms, never = 'Never' }: { ms: number | null | undefined; never?: string }) {
  if (ms == null) return <>{never}</>;
  return (
    <time dateTime={new Date(ms).toISOString()} title={formatExact(ms)}>
      {relative(ms)}
    </time>
  );
}

/** A date and time with the exact time (to the second) on hover. */
export function When({ ms }: { ms: number | null | undefined }) {
  if (ms == null) return <>—</>;
  return (
    <time dateTime={new Date(ms).toISOString()} title={formatExact(ms)}>
      {formatTime(ms)}
    </time>
  );
}

/** Copies `text`; falls back to a hidden textarea where the Clipboard API is refused (plain http). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    const ok = document.execCommand?.('copy') ?? false;
    area.remove();
    return ok;
  }
}

/**
 * An ID in monospace with a Copy button beside it (never for secrets: they use SecretBox).
 * `label` names what is copied for screen readers ("Copy key ID"); a toast confirms.
 */
export function CopyId({ value, label = 'ID', children }: { value: string; label?: string; children?: ReactNode }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(t);
  }, [copied]);
  return (
    <span className="copy-id">
      {children ?? <code className="mono id">{value}</code>}
      <button
        type="button"
        className="copy-button"
        aria-label={`Copy ${label}`}
        title={`Copy ${label}`}
        data-copy={value}
        onClick={async () => {
          if (await copyText(value)) {
            setCopied(true);
            toast(`${label[0]?.toUpperCase()}${label.slice(1)} copied`, 'info');
          } else toast('Could not copy: select the text and copy it by hand', 'error');
        }}
      >
        <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
          {copied ? (
            <path d="M3 8.5l3 3 7-7" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
          ) : (
            <>
              <rect x="5.5" y="5.5" width="8" height="8" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.4" />
              <path
                d="M10.5 3.5v-.5A1.5 1.5 0 0 0 9 1.5H4A1.5 1.5 0 0 0 2.5 3v5A1.5 1.5 0 0 0 4 9.5h.5"
                fill="none"
                stroke="currentColor"
                strokeWidth="1.4"
              />
            </>
          )}
        </svg>
      </button>
    </span>
  );
}

/**
 * A "New" button that is disabled, with the reason beside it, once `used` reaches `max` (the API
 * would refuse with APPLICATION_LIMIT_REACHED / KEY_LIMIT_REACHED).
 */
export function LimitedButton({
  used,
  max,
  reason,
  onClick,
  children = 'New',
}: {
  used: number;
  max: number;
  /** Why, e.g. "10 of 10 active applications: revoke one to create another." */
  reason: string;
  onClick(): void;
  children?: ReactNode;
}) {
  const full = used >= max;
  const reasonId = useId();
  return (
    <span className="limited-button">
      <button
        type="button"
        className="button button-primary"
        disabled={full}
        aria-describedby={full ? reasonId : undefined}
        onClick={onClick}
      >
        {children}
      </button>
      {full && (
        <span className="hint limit-reason" id={reasonId}>
          {reason}
        </span>
      )}
    </span>
  );
}
