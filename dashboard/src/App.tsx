import { type Account, type Catalogue, KeywardApiError, type Me } from '@keyward/client/management';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, loginPath, safeNext, session } from './api';
import { Shell } from './components/Shell';
import { Toaster, toast } from './components/Toast';
import { ErrorBanner, Loading } from './components/ui';
import { NewAccountModal } from './pages/Accounts';
import { LoginPage } from './pages/Login';
import { navigate, usePath } from './router';
import { ACCOUNT_KEY, SessionContext, type SessionState } from './session';

interface Loaded {
  me: Me;
  catalogue: Catalogue;
  accounts: Account[];
}

async function loadSession(): Promise<Loaded> {
  const [me, catalogue, { accounts }] = await Promise.all([api.getMe(), api.getCatalogue(), api.listAccounts()]);
  return { me, catalogue, accounts };
}

export function App() {
  const path = usePath();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [accountId, setAccountId] = useState<string | null>(() => sessionStorage.getItem(ACCOUNT_KEY));
  // Until the session is known: the token of this tab, or one handed over by another open tab.
  const [booting, setBooting] = useState(true);
  const [creatingFirst, setCreatingFirst] = useState(false);

  const signOut = useCallback(() => {
    if (session.token) api.logout().catch(() => {});
    session.clear();
    setLoaded(null);
    navigate('/login');
  }, []);

  const signOutEverywhere = useCallback(async () => {
    // Server first: if it fails, this browser stays signed in and the menu shows why.
    await api.logoutAll();
    session.clear();
    setLoaded(null);
    navigate('/login');
  }, []);

  const start = useCallback(async () => {
    setBooting(true);
    setError(null);
    try {
      setLoaded(await loadSession());
      setAccountId(sessionStorage.getItem(ACCOUNT_KEY));
    } catch (e) {
      if (e instanceof KeywardApiError && e.status === 401) {
        session.clear();
        navigate(loginPath(), { replace: true });
      } else setError(e);
    } finally {
      setBooting(false);
    }
  }, []);

  const refreshAccounts = useCallback(async () => {
    const { accounts } = await api.listAccounts();
    setLoaded((l) => l && { ...l, accounts });
  }, []);

  useEffect(() => {
    // A session that ends mid-use: back to the sign-in page, which returns here afterwards.
    session.onUnauthorized(() => {
      setLoaded(null);
      navigate(loginPath(), { replace: true });
    });
    // Signed out in another tab: this one follows.
    session.onSignedOutElsewhere(() => {
      setLoaded(null);
      navigate('/login', { replace: true });
    });
    let cancelled = false;
    session.handoff().then((has) => {
      if (cancelled) return;
      if (has) {
        start();
        return;
      }
      setBooting(false);
      // Signed in on the sign-in page while the open tabs were asked (a fast sign-in beats the
      // handoff's wait): that session stands, and the page it opened stays.
      if (session.token) return;
      if (location.pathname !== '/login') navigate(loginPath(), { replace: true });
    });
    return () => {
      cancelled = true;
    };
  }, [start]);

  const value = useMemo<SessionState | null>(() => {
    if (!loaded) return null;
    const { me, accounts } = loaded;
    const own = me.user.accountId;
    const account = accounts.find((a) => a.id === (own ?? accountId)) ?? (own ? undefined : accounts[0]);
    if (!account) return null;
    const perms = new Set(me.permissions);
    return {
      ...loaded,
      account,
      isAdmin: me.user.isAdmin || me.user.isOperator,
      can: (p) => perms.has(p),
      switchAccount: (id) => {
        sessionStorage.setItem(ACCOUNT_KEY, id);
        setAccountId(id);
      },
      refreshAccounts,
      signOut,
      signOutEverywhere,
    };
  }, [loaded, accountId, signOut, signOutEverywhere, refreshAccounts]);

  if (booting && !loaded && !session.token && path !== '/login') return <Loading label="Signing you in…" />;
  if (path === '/login' || !session.token) {
    return (
      <LoginPage
        onSignedIn={async () => {
          await start();
          navigate(safeNext(new URLSearchParams(location.search).get('next')), { replace: true });
        }}
      />
    );
  }
  if (booting && !loaded) return <Loading label="Signing you in…" />;
  if (error) {
    return (
      <main className="centered">
        <ErrorBanner error={error} title="Keyward could not load your session" />
        <button type="button" className="button" onClick={start}>
          Try again
        </button>
      </main>
    );
  }
  if (loaded && !value) {
    const operator = loaded.me.user.isOperator;
    return (
      <main className="centered">
        <h1>No customer accounts yet</h1>
        {operator ? (
          <p>Create the first account with its first admin; you can add more on the Accounts page.</p>
        ) : (
          <p>Your user is not in a customer account. Ask the operator.</p>
        )}
        <div className="card-actions">
          {operator && (
            <button type="button" className="button button-primary" onClick={() => setCreatingFirst(true)}>
              New account
            </button>
          )}
          <button type="button" className="button" onClick={signOut}>
            Sign out
          </button>
        </div>
        {creatingFirst && (
          <NewAccountModal
            onClose={() => setCreatingFirst(false)}
            onCreated={(a) => {
              setCreatingFirst(false);
              toast(`Account ${a.name} created`);
              refreshAccounts();
            }}
          />
        )}
        <Toaster />
      </main>
    );
  }
  if (!value) return <Loading />;
  return (
    <SessionContext.Provider value={value}>
      <Shell path={path} />
      <Toaster />
    </SessionContext.Provider>
  );
}
