import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenAPI3 } from 'openapi-typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkApiTypes, generateApiTypes, openApiDocument, REGENERATE, TYPES_FILE } from '../../scripts/gen-api-types.js';

/**
 * Issue #13, "One source of truth for types": the client SDK's and the dashboard's API types are
 * generated from /openapi.json (scripts/gen-api-types.ts), so they cannot drift from the server.
 */
describe('API types generated from /openapi.json', () => {
  let doc: OpenAPI3;
  let generated: string;
  beforeAll(async () => {
    doc = await openApiDocument();
    generated = await generateApiTypes(doc);
  });

  it('packages/client/src/openapi.ts is up to date', async () => {
    const r = await checkApiTypes(readFileSync(TYPES_FILE, 'utf8'), generated);
    expect(r.upToDate, r.message).toBe(true);
  });

  it('a stale file is caught, and the message says how to regenerate it', async () => {
    const stale = generated.replace("'/v1/me': {", "'/v1/me-before': {");
    expect(stale).not.toBe(generated);
    const r = await checkApiTypes(stale, generated);
    expect(r.upToDate).toBe(false);
    expect(r.message).toContain(`run ${REGENERATE}`);
  });

  it('has a type for every path of the document', () => {
    const paths = Object.keys(doc.paths ?? {});
    expect(paths.length).toBeGreaterThan(20);
    for (const path of paths) expect(generated, path).toContain(`'${path}': {`);
  });

  it('the dashboard reaches the API only through @keyward/client (no fetch, no hand-written URLs)', () => {
    const dir = join(import.meta.dirname, '..', '..', 'dashboard', 'src');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      expect(text, f).not.toMatch(/\bfetch\(/);
      // api.ts names the sign-in path only to tell a wrong password from an expired session; next.ts
      // names the API's prefix only to refuse it as a place to return to after signing in.
      const urls = [...text.matchAll(/['`]\/v1\/[^'`]*/g)].map((m) => m[0].slice(1));
      const allowed: Record<string, string[]> = { 'api.ts': ['/v1/auth/login'], 'next.ts': ['/v1/'] };
      expect(urls, f).toEqual(allowed[f] ?? []);
    }
  });
});
