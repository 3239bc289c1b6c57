import { type FormEvent, useState } from 'react';
import { api, session } from '../api';
import { TextInput } from '../components/forms';
import { ErrorBanner, validationIssues } from '../components/ui';

/** POST /v1/auth/login's bounds (src/http/routes/auth-login.ts: `Email`, and a password of 1-200 characters). */
export const LOGIN_LIMITS = { email: 254, password: 200 } as const;

type LoginErrors = { email?: string | undefined; password?: string | undefined };

/** What is wrong with the two fields, in words, before anything is sent. */
function checkLogin(email: string, password: string): LoginErrors {
  const e = email.trim();
  const errors: LoginErrors = {};
  if (e === '') errors.email = 'Enter your email address.';
  else if (e.length > LOGIN_LIMITS.email) errors.email = `An email address has at most ${LOGIN_LIMITS.email} characters.`;
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e)) errors.email = 'Enter an email address, like name@example.com.';
  if (password === '') errors.password = 'Enter your password.';
  else if (password.length > LOGIN_LIMITS.password) errors.password = `A password has at most ${LOGIN_LIMITS.password} characters.`;
  return errors;
}

export function LoginPage({ onSignedIn }: { onSignedIn(): Promise<void> }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [fieldErrors, setFieldErrors] = useState<LoginErrors>({});
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const errors = checkLogin(email, password);
    setFieldErrors(errors);
    if (errors.email || errors.password) {
      document.getElementById(errors.email ? 'login-email' : 'login-password')?.focus();
      return;
    }
    setBusy(true);
    try {
      const { token } = await api.login(email.trim(), password);
      session.set(token);
      await onSignedIn();
    } catch (err) {
      // The server's own field checks, should they differ from the browser's, also go next to the field.
      const issues = validationIssues(err);
      const byField: LoginErrors = {};
      for (const i of issues) if (i.field === 'email' || i.field === 'password') byField[i.field] ??= i.message;
      setFieldErrors(byField);
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      {/* noValidate: the fields' problems are told in words next to them, not in the browser's bubbles. */}
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title" noValidate>
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true">
            K
          </span>
          Keyward
        </div>
        <h1 id="login-title">Sign in to your account</h1>
        <ErrorBanner error={error} title="Sign-in failed" />
        <TextInput
          id="login-email"
          field="email"
          label="Email"
          type="email"
          autoComplete="username"
          required
          maxLength={LOGIN_LIMITS.email}
          value={email}
          error={fieldErrors.email}
          onChange={(v) => {
            setEmail(v);
            setFieldErrors((f) => ({ ...f, email: undefined }));
          }}
        />
        <TextInput
          id="login-password"
          field="login-password"
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          maxLength={LOGIN_LIMITS.password}
          value={password}
          error={fieldErrors.password}
          onChange={(v) => {
            setPassword(v);
            setFieldErrors((f) => ({ ...f, password: undefined }));
          }}
        />
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
