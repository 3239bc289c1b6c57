import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layering rule of docs/architecture.md, read from the source: core → store → services and
 * auth (side by side, neither importing the other) → composition root → HTTP and CLI.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');

interface Source {
  /** Path from the repository root, e.g. `src/service/keys.ts`. */
  file: string;
  text: string;
  /** What it imports: src-relative paths for its own modules (`src/auth/session.ts`), else the package name. */
  imports: string[];
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

// `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')`.
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*'([^']+)'|(?:^|\n)\s*import\s*'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g;

function load(path: string): Source {
  const text = readFileSync(path, 'utf8');
  const imports = [...text.matchAll(IMPORT)].map((m) => {
    const spec = (m[1] ?? m[2] ?? m[3]) as string;
    if (!spec.startsWith('.')) return spec;
    return relative(ROOT, resolve(dirname(path), spec)).replace(/\.js$/, '.ts');
  });
  return { file: relative(ROOT, path), text, imports };
}

const SOURCES = walk(SRC).map(load);
const inLayer = (layer: string) => SOURCES.filter((s) => s.file.startsWith(`src/${layer}/`));
const crossings = (from: Source[], forbidden: (imported: string) => boolean) =>
  from.flatMap((s) => s.imports.filter(forbidden).map((i) => `${s.file} imports ${i}`));
const under =
  (...layers: string[]) =>
  (i: string) =>
    layers.some((l) => i.startsWith(`src/${l}/`) || i === `src/${l}.ts`);

describe('layering (issue 13: docs/architecture.md)', () => {
  it('reads the source it is meant to check', () => {
    expect(SOURCES.length).toBeGreaterThan(100);
    expect(inLayer('service').length).toBeGreaterThan(10);
    expect(inLayer('auth').length).toBeGreaterThan(5);
    const session = SOURCES.find((s) => s.file === 'src/auth/session.ts');
    expect(session?.imports).toContain('src/store/repos/sessions.ts');
    // The check catches what it is meant to catch.
    const fake = { file: 'src/service/x.ts', text: '', imports: ['src/auth/session.ts'] };
    expect(crossings([fake], under('auth'))).toEqual(['src/service/x.ts imports src/auth/session.ts']);
  });

  it('services never import auth/ (nor anything above them)', () => {
    expect(crossings(inLayer('service'), under('auth', 'cluster', 'http', 'cli', 'compose', 'server'))).toEqual([]);
  });

  it('auth/ never imports services (nor anything above it)', () => {
    expect(crossings(inLayer('auth'), under('service', 'cluster', 'http', 'cli', 'compose', 'server'))).toEqual([]);
  });

  it('cluster/ (process supervision and the IPC channel) knows no feature: only node built-ins and itself', () => {
    expect(inLayer('cluster').length).toBeGreaterThan(2);
    const allowed = (i: string) => i.startsWith('src/cluster/') || i.startsWith('node:');
    expect(crossings(inLayer('cluster'), (i) => !allowed(i))).toEqual([]);
  });

  it('core/ imports only core/ (and node built-ins, zod)', () => {
    const allowed = (i: string) => i.startsWith('src/core/') || i.startsWith('node:') || i === 'zod';
    expect(crossings(inLayer('core'), (i) => !allowed(i))).toEqual([]);
  });

  it('store/ imports no layer above it', () => {
    expect(crossings(inLayer('store'), under('service', 'auth', 'cache', 'cluster', 'http', 'cli', 'compose', 'server'))).toEqual([]);
  });

  it('SQL and Kysely appear only under store/', () => {
    const query = /\.(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto|selectNoFrom)\(|\bsql`|\bsql<[^>]*>`/;
    const outside = SOURCES.filter((s) => !s.file.startsWith('src/store/'));
    expect(outside.length).toBeGreaterThan(50);
    expect(outside.filter((s) => s.imports.some((i) => i === 'kysely' || i.startsWith('kysely/'))).map((s) => s.file)).toEqual([]);
    expect(outside.filter((s) => query.test(s.text)).map((s) => s.file)).toEqual([]);
    // And the pattern does see the queries that are there.
    expect(inLayer('store').filter((s) => query.test(s.text)).length).toBeGreaterThan(5);
  });
});
