import { describe, expect, it } from 'vitest';
import { CatalogueIndex } from '../../src/core/catalogue.js';
import { canonicalSegments, matchesPath, type PathPattern, parsePathPattern } from '../../src/core/path-pattern.js';

function pattern(source: string): PathPattern {
  const p = parsePathPattern(source);
  if (typeof p === 'string') throw new Error(p);
  return p;
}
const matches = (p: string, uri: string) => {
  const segs = canonicalSegments(uri);
  return segs !== undefined && matchesPath(pattern(p), segs);
};

describe('path patterns', () => {
  it('exact patterns match only that path; the query string is ignored', () => {
    expect(matches('/integration/device/status', '/integration/device/status')).toBe(true);
    expect(matches('/integration/device/status', '/integration/device/status?eui=1&x=/../')).toBe(true);
    expect(matches('/integration/device/status', '/integration/device/status/x')).toBe(false);
    expect(matches('/integration/device/status', '/integration/device')).toBe(false);
    expect(matches('/integration/device/status', '/integration/device/statusx')).toBe(false);
    expect(matches('/integration/device/status', '/integration/device/status/')).toBe(false);
  });

  it(':param matches exactly one non-empty segment', () => {
    expect(matches('/integration/device/:eui/status', '/integration/device/00-11-22/status')).toBe(true);
    expect(matches('/integration/device/:eui/status', '/integration/device/a/b/status')).toBe(false);
    expect(matches('/integration/device/:eui/status', '/integration/device//status')).toBe(false);
    expect(matches('/integration/device/:eui/status', '/integration/device/%2e%2e/status')).toBe(false);
  });

  it('/prefix/* matches one or more further segments, not the prefix itself', () => {
    expect(matches('/integration/*', '/integration/usage/details')).toBe(true);
    expect(matches('/integration/*', '/integration/x')).toBe(true);
    expect(matches('/integration/*', '/integration')).toBe(false);
    expect(matches('/integration/*', '/integrationx/y')).toBe(false);
    expect(matches('/*', '/anything/at/all')).toBe(true);
  });

  it('refuses non-canonical request paths', () => {
    for (const uri of ['/a/../b', '/a/./b', '/a//b', '/a/%2F', '/a/%5C', '/a/%zz', 'a/b', '', '/a/%00']) {
      expect(canonicalSegments(uri), uri).toBeUndefined();
    }
    expect(canonicalSegments('/a/%41b?x')).toEqual(['a', 'Ab']);
  });

  it('rejects bad patterns with a reason', () => {
    for (const bad of ['integration', '/a/*/b', '/a//b', '/a/', '/a/:', '/a/:1x', '/a/b*', '/a/../b', '/a/%41', '/a b', '/a?b']) {
      expect(typeof parsePathPattern(bad), bad).toBe('string');
    }
  });

  it('catalogue grants combine method and path; method * or an exact verb', () => {
    const cat = new CatalogueIndex({
      scopes: [
        { name: 'read', description: '', keyKinds: ['application'], grants: [{ method: 'GET', path: '/items/:id' }] },
        { name: 'all', description: '', keyKinds: ['application'], grants: [{ method: '*', path: '/admin/*' }] },
      ],
      roles: [],
    });
    expect(cat.grantingScope(['read'], 'get', '/items/1')).toBe('read');
    expect(cat.grantingScope(['read'], 'POST', '/items/1')).toBeUndefined();
    expect(cat.grantingScope(['read'], 'HEAD', '/items/1')).toBeUndefined();
    expect(cat.grantingScope(['read', 'all'], 'DELETE', '/admin/x/y')).toBe('all');
    expect(cat.grantingScope(['unknown'], 'GET', '/items/1')).toBeUndefined();
  });

  describe('compiled matcher (ScopeMatcher)', () => {
    const cat = new CatalogueIndex({
      scopes: [
        { name: 'read', description: '', keyKinds: ['application'], grants: [{ method: 'GET', path: '/items/:id' }] },
        { name: 'all', description: '', keyKinds: ['application'], grants: [{ method: '*', path: '/items/*' }] },
      ],
      roles: [],
    });

    it('the first scope of the list in its order wins, asked again from its kept answers', () => {
      for (let i = 0; i < 3; i++) {
        expect(cat.grantingScope(['read', 'all'], 'GET', '/items/1')).toBe('read');
        expect(cat.grantingScope(['all', 'read'], 'GET', '/items/1')).toBe('all');
        expect(cat.grantingScope(['read', 'all'], 'POST', '/items/1')).toBe('all');
        expect(cat.grantingScope(['read'], 'POST', '/items/1')).toBeUndefined();
      }
    });

    it('answers by method and path: the query and fragment never change an answer, a non-canonical path matches nothing', () => {
      const scopes = ['read'];
      expect(cat.grantingScope(scopes, 'GET', '/items/1?x=/../admin')).toBe('read');
      expect(cat.grantingScope(scopes, 'GET', '/items/1#frag')).toBe('read');
      expect(cat.grantingScope(scopes, 'GET', '/items/1')).toBe('read');
      expect(cat.grantingScope(scopes, 'GET', '/items/1/../2')).toBeUndefined();
      expect(cat.grantingScope(scopes, 'GET', '/items/a%2Fb')).toBeUndefined();
      expect(cat.grantingScope(scopes, 'get', '/items/%31')).toBe('read');
    });

    it('equal lists share one matcher; its kept answers stay bounded under thousands of distinct paths', () => {
      const m = cat.matcher(['read', 'all']);
      expect(cat.matcher(['read', 'all'].slice())).toBe(m);
      for (let i = 0; i < 2000; i++) expect(m.scopeFor('PUT', `/items/${i}/x`)).toBe('all');
      expect(m.scopeFor('PUT', `/items/${'x'.repeat(600)}`)).toBe('all'); // too long to keep, still answered
      const kept = (m as unknown as { routes: Map<string, unknown> }).routes.size;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThanOrEqual(512);
    });
  });
});
