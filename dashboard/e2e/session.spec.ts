import { describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, useE2E } from './support.js';

describe.skipIf(!HAS_CHROMIUM)('dashboard: sign-in, account switcher, navigation', () => {
  const e = useE2E();

  it('shows the API error when the password is wrong, then signs in and out', async () => {
    const t = await e.tenant();
    const page = e.page;
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in to your account' }).waitFor();
    await page.getByLabel('Email').fill(t.adminEmail);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('INVALID_CREDENTIALS');

    await e.signIn(t.adminEmail, t.adminPassword);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual([
      'Applications',
      'Devices',
      'API ACCESS',
      'Usage',
      'API Keys',
      'Users',
      'Webhooks',
      'Audit log',
      'Account',
    ]);
    await page.getByRole('button', { name: 'Ada Admin' }).click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in to your account' }).waitFor();
    // The session is gone server-side too: a reload stays on the sign-in page.
    await page.goto('/applications');
    await page.getByRole('heading', { name: 'Sign in to your account' }).waitFor();
  });

  it('checks the sign-in fields in the browser: the API’s length limits, and what is wrong in words next to the field', async () => {
    const t = await e.tenant();
    const page = e.page;
    let logins = 0;
    page.on('request', (r) => {
      if (r.url().endsWith('/v1/auth/login')) logins++;
    });
    await page.goto('/login');
    const email = page.getByLabel('Email');
    const password = page.getByLabel('Password');
    // The bounds of POST /v1/auth/login: an email of at most 254 characters, a password of at most 200.
    expect(await email.getAttribute('maxlength')).toBe('254');
    expect(await password.getAttribute('maxlength')).toBe('200');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Enter your email address.').waitFor();
    await page.getByText('Enter your password.').waitFor();
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    expect(await email.evaluate((el) => el === document.activeElement)).toBe(true);
    await email.fill('not-an-email');
    expect(await email.getAttribute('aria-invalid')).toBeNull();
    await password.fill('whatever-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Enter an email address, like name@example.com.').waitFor();
    // A value put in by a password manager is not cut by maxlength: it is refused in words, not sent.
    await password.evaluate((el: HTMLInputElement) => {
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(el, 'x'.repeat(201));
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await email.fill(t.adminEmail);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('A password has at most 200 characters.').waitFor();
    expect(await password.getAttribute('aria-describedby')).toBe('login-password-error');
    expect(logins).toBe(0);
    await password.fill(t.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
    expect(logins).toBe(1);
  });

  it('signs out everywhere: every session of the user ends, and this browser returns to the sign-in page', async () => {
    const t = await e.tenant(); // t.adminToken is a second session, as from another browser
    const other = await e.tenant();
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    expect((await e.call('GET', '/v1/me', { token: t.adminToken })).status).toBe(200);
    await page.getByRole('button', { name: 'Ada Admin' }).click();
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.getByRole('heading', { name: 'Sign in to your account' }).waitFor();
    expect((await e.call('GET', '/v1/me', { token: t.adminToken })).status).toBe(401);
    // Only this user's sessions end.
    expect((await e.call('GET', '/v1/me', { token: other.adminToken })).status).toBe(200);
    await page.goto('/applications');
    await page.getByRole('heading', { name: 'Sign in to your account' }).waitFor();
  });

  it('a session that ends mid-use sends the next API call back to the sign-in page', async () => {
    const t = await e.tenant();
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    const token = await page.evaluate(() => sessionStorage.getItem('keyward.session'));
    expect(token).toMatch(/\S/);
    expect((await e.call('POST', '/v1/auth/logout', { token: token! })).status).toBe(200);
    // In-app navigation (no reload): the Devices page's call answers 401, the client's onError signs out.
    // A call of the page still loading may meet the ended session first: then the sign-in page is already there.
    const signIn = page.getByRole('heading', { name: 'Sign in to your account' });
    if (!(await signIn.isVisible())) {
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Devices' })
        .click({ timeout: 5_000 })
        .catch(async (e) => {
          if (!(await signIn.isVisible())) throw e;
        });
    }
    await signIn.waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('keyward.session'))).toBeNull();
    expect(await page.getByRole('alert').count()).toBe(0);
  });

  it('lets the operator switch between customer accounts', async () => {
    const a = await e.tenant('Northwind Logistics');
    const b = await e.tenant('Contoso Meters');
    await e.call('POST', `/v1/accounts/${a.accountId}/applications`, { token: a.adminToken, body: { name: 'Northwind app' } });
    await e.call('POST', `/v1/accounts/${b.accountId}/applications`, { token: b.adminToken, body: { name: 'Contoso app' } });
    await e.signIn('operator@e2e.local', 'operator-password-1');
    const page = e.page;
    const switcher = page.getByLabel('Account', { exact: true });
    await switcher.selectOption({ label: `Northwind Logistics (${a.customerId})` });
    await page.getByRole('link', { name: 'Northwind app' }).waitFor();
    expect(await page.getByRole('link', { name: 'Contoso app' }).count()).toBe(0);
    await switcher.selectOption({ label: `Contoso Meters (${b.customerId})` });
    await page.getByRole('link', { name: 'Contoso app' }).waitFor();
    expect(await page.getByRole('link', { name: 'Northwind app' }).count()).toBe(0);
  });

  it('opens deep links after a reload, and dialogs work from the keyboard (Esc closes, focus returns)', async () => {
    const t = await e.tenant();
    const app = await e.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'Deep link' } });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto(`/applications/${app.body.id}/keys`);
    await page.getByRole('heading', { name: 'Deep link', level: 1 }).waitFor();
    expect(await page.getByRole('link', { name: 'Access keys' }).getAttribute('aria-current')).toBe('page');

    const newButton = page.getByRole('button', { name: 'New', exact: true });
    await newButton.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'New access key' });
    await dialog.waitFor();
    // Focus starts in the first field, so typing goes straight into it.
    await page.keyboard.type('Typed name');
    expect(await dialog.getByLabel('Name', { exact: true }).inputValue()).toBe('Typed name');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await newButton.evaluate((el) => el === document.activeElement)).toBe(true);
  });

  it('collapses the sidebar behind a menu button on a phone-sized screen', async () => {
    const t = await e.tenant();
    await e.page.setViewportSize({ width: 390, height: 800 });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Menu' }).click();
    await nav.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    // Choosing a page folds the menu away again.
    await nav.waitFor({ state: 'hidden' });
  });
  it('a deep link opened while signed out comes back after signing in (?next=), and never leaves the dashboard', async () => {
    const t = await e.tenant();
    const app = await e.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'Next app' } });
    const page = e.page;
    await page.goto(`/applications/${app.body.id}/keys`);
    await page.getByRole('heading', { name: 'Sign in to your account' }).waitFor();
    const url = new URL(page.url());
    expect(url.pathname).toBe('/login');
    expect(url.searchParams.get('next')).toBe(`/applications/${app.body.id}/keys`);
    await page.getByLabel('Email').fill(t.adminEmail);
    await page.getByLabel('Password').fill(t.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Next app', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/applications/${app.body.id}/keys`);

    // A hostile next= is ignored: the user lands on their home page on this origin.
    const other = await e.browser.newContext({ baseURL: e.url });
    const fresh = await other.newPage();
    // (test/unit/dashboard-next.test.ts checks the other tricks; one sign-in here keeps the spec short)
    for (const next of ['//evil.example']) {
      await fresh.goto(`/login?next=${encodeURIComponent(next)}`);
      await fresh.getByLabel('Email').fill(t.adminEmail);
      await fresh.getByLabel('Password').fill(t.adminPassword);
      await fresh.getByRole('button', { name: 'Sign in' }).click();
      await fresh.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
      expect(new URL(fresh.url()).origin).toBe(new URL(e.url).origin);
      expect(new URL(fresh.url()).pathname).toBe('/applications');
    }
    await other.close();
  });

  it('a new tab shares the open session (handoff), sign-out ends it in every tab, and nothing outlives the tabs', async () => {
    const t = await e.tenant();
    const app = await e.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'Tab app' } });
    await e.signIn(t.adminEmail, t.adminPassword);
    const first = e.page;
    // The token is never in localStorage (it would outlive the browser session).
    expect(await first.evaluate(() => Object.keys(localStorage))).toEqual([]);

    const second = await e.context.newPage();
    await second.goto(`/applications/${app.body.id}`);
    await second.getByRole('heading', { name: 'Tab app', level: 1 }).waitFor();
    expect(await second.getByRole('heading', { name: 'Sign in to your account' }).count()).toBe(0);

    // Signing out in the second tab signs the first out too, without a click there.
    await second.getByRole('button', { name: 'Ada Admin' }).click();
    await second.getByRole('button', { name: 'Sign out', exact: true }).click();
    await second.getByRole('heading', { name: 'Sign in to your account' }).waitFor();
    await first.getByRole('heading', { name: 'Sign in to your account' }).waitFor();
    expect(await first.evaluate(() => sessionStorage.getItem('keyward.session'))).toBeNull();

    // With no tab holding a session, a new tab asks for the password.
    const third = await e.context.newPage();
    await third.goto('/applications');
    await third.getByRole('heading', { name: 'Sign in to your account' }).waitFor();
    expect(new URL(third.url()).searchParams.get('next')).toBe('/applications');
  });
});
