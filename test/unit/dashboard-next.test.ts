import { describe, expect, it } from 'vitest';
import { safeNextPath } from '../../dashboard/src/next.js';

/** Issue #16 item 7: the sign-in page returns to `?next=` only inside the dashboard (no open redirect). */
describe('dashboard sign-in ?next=', () => {
  const origin = 'https://keyward.example';
  const next = (raw: string | null) => safeNextPath(raw, origin);

  it('keeps paths of the dashboard with their query and fragment', () => {
    expect(next('/applications/app_1/keys')).toBe('/applications/app_1/keys');
    expect(next('/audit?actor=usr_1&from=2026-01-01')).toBe('/audit?actor=usr_1&from=2026-01-01');
    expect(next('/api-keys/key_1#limits')).toBe('/api-keys/key_1#limits');
    // Dot segments resolve inside the origin.
    expect(next('/a/../devices')).toBe('/devices');
  });

  it('sends everything else to "/": other origins, scheme tricks, the sign-in page itself, the API', () => {
    for (const raw of [
      null,
      '',
      'https://evil.example/',
      'http://keyward.example.evil.example/',
      '//evil.example',
      '//evil.example/applications',
      '/\\evil.example',
      '/\\/evil.example',
      '\\\\evil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'applications',
      '%2F%2Fevil.example',
      '/login',
      '/login?next=//evil.example',
      '/v1/auth/logout-all',
    ]) {
      expect(next(raw), String(raw)).toBe('/');
    }
  });

  it('an encoded "//" stays a path of this origin', () => {
    expect(next('/%2F%2Fevil.example')).toBe('/%2F%2Fevil.example');
  });
});
