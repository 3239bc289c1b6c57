import { type ReactNode, useEffect, useRef, useState } from 'react';
import { AccountPage } from '../pages/Account';
import { AccountsPage } from '../pages/Accounts';
import { ApiAccessPage } from '../pages/ApiAccess';
import { ApiKeysPage } from '../pages/ApiKeys';
import { ApplicationPage } from '../pages/Application';
import { ApplicationsPage } from '../pages/Applications';
import { AuditPage } from '../pages/Audit';
import { DevicePage } from '../pages/Device';
import { DevicesPage } from '../pages/Devices';
import { KeyPage } from '../pages/Key';
import { NoAccessPage } from '../pages/NoAccess';
import { UsagePage } from '../pages/Usage';
import { UsersPage } from '../pages/Users';
import { canViewWebhooks, WebhookPage, WebhooksPage } from '../pages/Webhooks';
import { Link, match, navigate } from '../router';
import { rights, type SessionState, useSession } from '../session';
import { EmptyState } from './ui';

interface NavItem {
  to: string;
  label: string;
  section?: string;
  visible(s: SessionState): boolean;
}

const NAV: NavItem[] = [
  { to: '/applications', label: 'Applications', visible: rights.viewApplications },
  { to: '/devices', label: 'Devices', visible: rights.viewDevices },
  { to: '/api-access', label: 'API ACCESS', visible: rights.sharedSecret },
  { to: '/usage', label: 'Usage', visible: rights.viewKeys },
  { to: '/api-keys', label: 'API Keys', section: 'Administration', visible: rights.viewKeys },
  // Read-only for members holding users.view; only admins see the actions.
  { to: '/users', label: 'Users', section: 'Administration', visible: rights.viewUsers },
  // Read-only with webhooks.view; actions need webhooks.manage (admins and the operator have both).
  { to: '/webhooks', label: 'Webhooks', section: 'Administration', visible: canViewWebhooks },
  { to: '/audit', label: 'Audit log', section: 'Administration', visible: rights.audit },
  // Limits, quota and plan: the operator edits them, the account's admins read them.
  { to: '/account', label: 'Account', section: 'Administration', visible: rights.account },
  { to: '/accounts', label: 'Accounts', section: 'Operator', visible: rights.operator },
];

/** A page, who may open it (the server checks again) and its name for the no-access page. */
type Route = [pattern: string, render: (p: Record<string, string>) => ReactNode, allowed: (s: SessionState) => boolean, what: string];

const ROUTES: Route[] = [
  ['/', () => <Home />, () => true, 'Home'],
  ['/applications', () => <ApplicationsPage />, rights.viewApplications, 'Applications'],
  ['/applications/:id', (p) => <ApplicationPage id={p.id as string} tab="summary" />, rights.viewApplications, 'Applications'],
  ['/applications/:id/keys', (p) => <ApplicationPage id={p.id as string} tab="keys" />, rights.viewApplications, 'Applications'],
  ['/api-keys', () => <ApiKeysPage />, rights.viewKeys, 'API Keys'],
  ['/api-keys/:id', (p) => <KeyPage id={p.id as string} />, rights.viewKeys, 'API Keys'],
  ['/account', () => <AccountPage />, rights.account, 'Account'],
  ['/accounts', () => <AccountsPage />, rights.operator, 'Accounts'],
  ['/devices', () => <DevicesPage />, rights.viewDevices, 'Devices'],
  ['/devices/:id', (p) => <DevicePage id={p.id as string} />, rights.viewDevices, 'Devices'],
  ['/api-access', () => <ApiAccessPage />, rights.sharedSecret, 'API ACCESS'],
  ['/users', () => <UsersPage />, rights.viewUsers, 'Users'],
  ['/usage', () => <UsagePage />, rights.viewKeys, 'Usage'],
  ['/audit', () => <AuditPage />, rights.audit, 'Audit log'],
  ['/webhooks', () => <WebhooksPage />, canViewWebhooks, 'Webhooks'],
  ['/webhooks/:id', (p) => <WebhookPage id={p.id as string} />, canViewWebhooks, 'Webhooks'],
];

/** The first page the user may open, or null when they may open none yet. */
export function homePath(s: SessionState): string | null {
  return NAV.find((n) => n.visible(s))?.to ?? null;
}

function Page({ path }: { path: string }) {
  const s = useSession();
  for (const [pattern, render, allowed, what] of ROUTES) {
    const params = match(pattern, path);
    if (!params) continue;
    // A page the user may not open: say so plainly instead of letting its API call fail.
    if (!allowed(s)) return <NoAccessPage what={what} home={homePath(s)} />;
    return <>{render(params)}</>;
  }
  const home = homePath(s);
  return (
    <EmptyState title="Page not found" action={home && <Link to={home}>Go to {NAV.find((n) => n.to === home)?.label}</Link>}>
      There is no page at <code>{path}</code>.
    </EmptyState>
  );
}

/** The first page the user may open: members without application rights land elsewhere; no rights at all, a friendly page. */
function Home() {
  const s = useSession();
  const to = homePath(s);
  if (!to) return <NoAccessPage home={null} />;
  return <Redirect to={to} />;
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function AccountSwitcher() {
  const s = useSession();
  if (!s.me.user.isOperator) {
    return (
      <div className="account-name">
        <span className="muted">Account</span> {s.account.name}
      </div>
    );
  }
  return (
    <div className="account-switcher">
      <label htmlFor="account-switcher">Account</label>
      <select
        id="account-switcher"
        value={s.account.id}
        onChange={(e) => {
          s.switchAccount(e.target.value);
          // The Accounts page is the same in every account; any other page starts again from home.
          if (location.pathname !== '/accounts') navigate('/');
        }}
      >
        {s.accounts.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name} ({a.customerId})
          </option>
        ))}
      </select>
    </div>
  );
}

function UserMenu() {
  const s = useSession();
  const [open, setOpen] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: Event) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !ref.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);
  const u = s.me.user;
  const initials = (u.name || u.email)
    .split(/\s+/)
    .map((w) => w[0])
    .join('')
    .slice(0, 2)
    .toUpperCase();
  return (
    <div className="user-menu" ref={ref}>
      <button type="button" className="user-button" aria-haspopup="true" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span className="avatar" aria-hidden="true">
          {initials}
        </span>
        <span className="user-name">{u.name}</span>
      </button>
      {open && (
        <div className="menu">
          <div className="menu-info">
            <strong>{u.name}</strong>
            <span className="muted">{u.email}</span>
            <span className="muted">{u.isOperator ? 'Operator' : u.isAdmin ? 'Account admin' : 'Member'}</span>
          </div>
          <button type="button" className="menu-item" onClick={s.signOut}>
            Sign out
          </button>
          <button
            type="button"
            className="menu-item"
            title="End every session of your account, in every browser and device, including this one"
            onClick={() => {
              setFailure(null);
              s.signOutEverywhere().catch((e: unknown) => setFailure(e instanceof Error ? e.message : String(e)));
            }}
          >
            Sign out everywhere
          </button>
          {failure && (
            <p className="menu-error" role="alert">
              {failure}
            </p>
          )}
        </div>
      )}
    </div>
  );
}

export function Shell({ path }: { path: string }) {
  const s = useSession();
  const [navOpen, setNavOpen] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  const firstPath = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every page change.
  useEffect(() => {
    setNavOpen(false);
    window.scrollTo(0, 0);
    // After a client-side navigation, move focus to the new page so screen readers announce it.
    if (firstPath.current) firstPath.current = false;
    else mainRef.current?.focus({ preventScroll: true });
  }, [path]);
  const items = NAV.filter((n) => n.visible(s));
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="icon-button nav-toggle"
          aria-controls="sidebar"
          aria-expanded={navOpen}
          aria-label="Menu"
          onClick={() => setNavOpen(!navOpen)}
        >
          ☰
        </button>
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            K
          </span>
          Keyward
        </Link>
        <div className="topbar-right">
          <AccountSwitcher />
          <UserMenu />
        </div>
      </header>
      <nav id="sidebar" className={`sidebar${navOpen ? ' open' : ''}`} aria-label="Main">
        <ul>
          {items.map((n, i) => {
            const active = path === n.to || path.startsWith(`${n.to}/`);
            const showSection = n.section && items[i - 1]?.section !== n.section;
            return (
              <li key={n.to}>
                {showSection && <span className="nav-section">{n.section}</span>}
                <Link to={n.to} className={active ? 'active' : undefined} aria-current={active ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            );
          })}
        </ul>
        <p className="sidebar-foot">
          Customer ID <code>{s.account.customerId}</code>
        </p>
      </nav>
      <main id="main" ref={mainRef} tabIndex={-1} className="content" key={s.account.id}>
        <Page path={path} />
      </main>
    </div>
  );
}
