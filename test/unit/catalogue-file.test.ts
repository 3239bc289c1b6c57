import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_CATALOGUE } from '../../src/core/catalogue.js';
import { parseCatalogue } from '../../src/core/catalogue-file.js';

const dir = mkdtempSync(join(tmpdir(), 'keyward-catalogue-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scope = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  description: name,
  grants: [{ method: 'GET', path: `/${name.replace(/:/g, '-')}` }],
  ...extra,
});
const problems = (cat: unknown) => {
  try {
    parseCatalogue(JSON.stringify(cat), 'test.json');
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

describe('catalogue file', () => {
  it('examples/catalogue.json is the default catalogue', () => {
    const example = parseCatalogue(readFileSync(join(import.meta.dirname, '../../examples/catalogue.json'), 'utf8'), 'example');
    expect(example).toEqual(DEFAULT_CATALOGUE);
  });

  it('deviceScopes names must be scopes or roles of the file', () => {
    expect(problems({ scopes: [scope('a:b')], deviceScopes: ['a:b', 'nope'] })).toContain('deviceScopes.1: unknown scope or role "nope"');
    expect(problems({ scopes: [scope('a:b')], roles: [{ name: 'r', description: 'r', scopes: ['a:b'] }], deviceScopes: ['r'] })).toBe(
      'no error',
    );
  });

  it('KEYWARD_CATALOGUE_FILE replaces the default; keyKinds defaults to application', () => {
    const file = join(dir, 'ok.json');
    writeFileSync(
      file,
      JSON.stringify({
        scopes: [scope('orders:read', { grants: [{ method: 'GET', path: '/orders/:id' }] }), scope('invoices', { keyKinds: ['customer'] })],
        roles: [{ name: 'everything', description: 'all', scopes: ['orders:read'] }],
      }),
    );
    const config = loadConfig({ KEYWARD_CATALOGUE_FILE: file });
    expect(config.catalogue.scopes.map((s) => [s.name, s.keyKinds])).toEqual([
      ['orders:read', ['application']],
      ['invoices', ['customer']],
    ]);
    expect(loadConfig({}).catalogue).toBe(DEFAULT_CATALOGUE);
  });

  it('fails start with a message naming each problem', () => {
    expect(problems({ scopes: [scope('a')], roles: [{ name: 'r', description: '', scopes: ['a', 'ghost'] }] })).toContain(
      'roles.0.scopes.1: unknown scope "ghost" in role "r"',
    );
    expect(problems({ scopes: [scope('a'), scope('a')] })).toContain('scopes.1.name: duplicate name "a"');
    expect(problems({ scopes: [scope('a')], roles: [{ name: 'a', description: '', scopes: ['a'] }] })).toContain('duplicate name "a"');
    expect(problems({ scopes: [scope('a', { grants: [{ method: 'FETCH', path: '/a' }] })] })).toContain('scopes.0.grants.0.method');
    expect(problems({ scopes: [scope('a', { grants: [{ method: 'get', path: '/a' }] })] })).toContain('method must be');
    expect(problems({ scopes: [scope('a', { grants: [{ method: 'GET', path: '/a/*/b' }] })] })).toContain('bad path pattern "/a/*/b"');
    expect(problems({ scopes: [scope('a', { grants: [{ method: 'GET', path: 'a' }] })] })).toContain('must start with "/"');
    expect(problems({ scopes: [scope('a', { grants: [] })] })).toContain('scopes.0.grants: a scope needs at least one grant');
    expect(problems({ scopes: [scope('a', { keyKinds: [] })] })).toContain('keyKinds');
    expect(problems({ scopes: [scope('keyward:keys.view.any')] })).toContain('reserved');
    expect(problems({ scopes: [scope('a')], extra: 1 })).toContain('extra');
    expect(problems({ scopes: [] })).toContain('at least one scope');
    expect(() => parseCatalogue('{nope', 'bad.json')).toThrow(/bad.json is not valid JSON/);
    expect(() => loadConfig({ KEYWARD_CATALOGUE_FILE: join(dir, 'missing.json') })).toThrow(/cannot read/);
  });

  it('plans: named bundles of rate limits and a quota, validated like the API validates them', () => {
    const plan = { name: 'pro', ratelimits: [{ name: 'default', limit: 100, window: 'minute' }], quota: { credits: 1000 } };
    const parsed = parseCatalogue(JSON.stringify({ scopes: [scope('a:b')], plans: [plan] }), 'plans.json');
    expect(parsed.plans).toEqual([{ ...plan, description: '', quota: { credits: 1000, refill: null } }]);
    expect(problems({ scopes: [scope('a:b')], plans: [plan, plan] })).toContain('plans.1.name: duplicate plan "pro"');
    expect(problems({ scopes: [scope('a:b')], plans: [{ name: 'x', ratelimits: [{ name: 'd', limit: 1, window: 'week' }] }] })).toContain(
      'plans.0.ratelimits.0.window',
    );
    expect(problems({ scopes: [scope('a:b')], plans: [{ name: 'x', quota: { credits: -1 } }] })).toContain('plans.0.quota.credits');
  });
});
