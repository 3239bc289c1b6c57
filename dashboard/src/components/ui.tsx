import { KeywardApiError } from '@keyward/client/management';
import { type ReactNode, useEffect, useId, useState } from 'react';
import { formatTime } from '../format';

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
