import { type Account, type Catalogue, KeywardApiError, type Me } from '@keyward/client/management';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, session } from './api';
import { Shell } from './components/Shell';
import { Toaster } from './components/Toast';
import { ErrorBanner, Loading } from './components/ui';
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
  const [booting, setBooting] = useState(() => session.token !== null);

  const signOut = useCallback(() => {
    if (session.token) api.logout().catch(() => {});
    session.clear();
    sessionStorage.removeItem(ACCOUNT_KEY);
    setLoaded(null);
    navigate('/login');
  }, []);

  const signOutEverywhere = useCallback(async () => {
    // Server first: if it fails, this browser stays signed in and the menu shows why.
    await api.logoutAll();
    session.clear();
    sessionStorage.removeItem(ACCOUNT_KEY);
    setLoaded(null);
    navigate('/login');
  }, []);

  const start = useCallback(async () => {
    setBooting(true);
    setError(null);
    try {
      setLoaded(await loadSession());
    } catch (e) {
      if (e instanceof KeywardApiError && e.status === 401) {
        session.clear();
        navigate('/login', { replace: true });
      } else setError(e);
    } finally {
      setBooting(false);
    }
  }, []);

  useEffect(() => {
    session.onUnauthorized(() => {
      setLoaded(null);
      navigate('/login', { replace: true });
    });
    if (session.token) start();
    else if (location.pathname !== '/login') navigate('/login', { replace: true });
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
      signOut,
      signOutEverywhere,
    };
  }, [loaded, accountId, signOut, signOutEverywhere]);

  if (path === '/login' || !session.token) {
    return (
      <LoginPage
        onSignedIn={async () => {
          await start();
          navigate(new URLSearchParams(location.search).get('next') ?? '/', { replace: true });
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
    return (
      <main className="centered">
        <h1>No customer accounts yet</h1>
        <p>
          Create one with <code>keyward account create</code> or <code>POST /v1/accounts</code>, then reload.
        </p>
        <button type="button" className="button" onClick={signOut}>
          Sign out
        </button>
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
