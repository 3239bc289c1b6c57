import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, DIALECTS, type Harness } from '../harness.js';

const HTML = { accept: 'text/html,application/xhtml+xml' };

function fakeDist(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-dist-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(join(dir, 'assets', 'app-abc123.js'), 'console.log(1)');
  return dir;
}

const sqlite = DIALECTS.filter((d) => d.name === 'sqlite');

for (const dialect of sqlite) {
  describe(`dashboard serving [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect, { dashboardDir: fakeDist() });
    });
    afterAll(async () => h?.close());

    it('serves index.html at / and the fingerprinted assets with a long cache', async () => {
      const root = await h.call('GET', '/', { headers: HTML });
      expect(root.status).toBe(200);
      expect(String(root.headers['content-type'])).toContain('text/html');
      const asset = await h.call('GET', '/assets/app-abc123.js');
      expect(asset.status).toBe(200);
      expect(String(asset.headers['cache-control'])).toContain('immutable');
    });

    it('a Range past the end of a file is 416 RANGE_NOT_SATISFIABLE in the error envelope (was 400 VALIDATION_FAILED)', async () => {
      const res = await h.call('GET', '/assets/app-abc123.js', { headers: { range: 'bytes=5000-6000' } });
      expect(res.status).toBe(416);
      expect(res.body).toEqual({
        error: { code: 'RANGE_NOT_SATISFIABLE', message: expect.any(String), requestId: expect.stringMatching(/^req_/) },
      });
    });

    it('falls back to index.html for deep links a browser asks for', async () => {
      const deep = await h.call('GET', '/applications/app_123/keys', { headers: HTML });
      expect(deep.status).toBe(200);
      expect(deep.body).toContain('<div id="root">');
    });

    it('keeps API 404s JSON ROUTE_NOT_FOUND, even for browsers', async () => {
      for (const url of ['/v1/nope', '/v1/accounts/acc_x/nothing-here', '/openapi.json/x', '/healthz/x']) {
        const r = await h.call('GET', url, { headers: HTML });
        expect(r.status, url).toBe(404);
        expect(r.body.error.code, url).toBe('ROUTE_NOT_FOUND');
      }
      const json = await h.call('GET', '/no-such-page', { headers: { accept: 'application/json' } });
      expect(json.status).toBe(404);
      expect(json.body.error.code).toBe('ROUTE_NOT_FOUND');
      const post = await h.call('POST', '/applications', { headers: HTML, body: {} });
      expect(post.body.error.code).toBe('ROUTE_NOT_FOUND');
    });

    it('still serves the API routes', async () => {
      expect((await h.call('GET', '/healthz')).status).toBe(200);
      expect((await h.call('GET', '/openapi.json')).status).toBe(200);
    });
  });

  describe(`dashboard not built [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect, { dashboardDir: join(tmpdir(), 'keyward-no-such-dist') });
    });
    afterAll(async () => h?.close());

    it('answers / with a hint to build it', async () => {
      const r = await h.call('GET', '/', { headers: HTML });
      expect(r.status).toBe(200);
      expect(r.body).toContain('npm run build');
      expect((await h.call('GET', '/v1/nope')).body.error.code).toBe('ROUTE_NOT_FOUND');
    });
  });
}
