import { canonicalSegments, matchesPath, type PathPattern, parsePathPattern, pathOfUri } from './path-pattern.js';
import { isKeyPermission, MANAGEMENT_SCOPE_PREFIX } from './permissions.js';
import type { PlanDef } from './ratelimit.js';

/**
 * The operator's catalogue of API scopes (each granting method + URI patterns of the
 * operator's API) and roles (named bundles of scopes). The default is Senet's table.
 */
export type KeyKind = 'application' | 'customer';

export interface ScopeGrant {
  /** HTTP method, or `*` for any. */
  method: string;
  /** Path pattern: exact, `:param` segments, or ending in `/*` for a prefix (see path-pattern.ts). */
  path: string;
}

export interface ScopeDef {
  name: string;
  description: string;
  grants: ScopeGrant[];
  /** Which key kinds may hold this scope. */
  keyKinds: KeyKind[];
}

export interface RoleDef {
  name: string;
  description: string;
  scopes: string[];
}

export interface Catalogue {
  scopes: ScopeDef[];
  roles: RoleDef[];
  /** Scopes or roles a device's signed request holds at the gateway (devices have no keys to scope). */
  deviceScopes?: string[] | undefined;
  /** Named bundles of rate limits and a quota, given to accounts by the operator (docs/ratelimits.md). */
  plans?: PlanDef[] | undefined;
}

const any = (paths: string[]): ScopeGrant[] => paths.map((path) => ({ method: '*', path }));

export const DEFAULT_CATALOGUE: Catalogue = {
  scopes: [
    {
      name: 'device:downlinks',
      description: 'Device: Downlinks',
      grants: any(['/integration/device/sendmsg', '/integration/device/sendmcastmsg', '/integration/device/clearmsgs']),
      keyKinds: ['application'],
    },
    {
      name: 'device:fuota',
      description: 'Device: FUOTA',
      grants: any(['/integration/mcastTransfer']),
      keyKinds: ['application'],
    },
    {
      name: 'device:onboarding',
      description: 'Device: Onboarding',
      grants: any([
        '/integration/device/status',
        '/integration/device/register',
        '/integration/device/activate',
        '/integration/device/activateOne',
        '/integration/device/deactivate',
        '/integration/device/update',
      ]),
      keyKinds: ['application'],
    },
    {
      name: 'device:read',
      description: 'Device: Read Access',
      grants: any(['/integration/device/csvExport']),
      keyKinds: ['application'],
    },
    {
      name: 'billing:access',
      description: 'Billing Access',
      grants: any(['/integration/usage/details', '/integration/usage/contracts']),
      keyKinds: ['customer'],
    },
  ],
  roles: [
    {
      name: 'device:full-access',
      description: 'Device: Full Access',
      scopes: ['device:downlinks', 'device:fuota', 'device:onboarding', 'device:read'],
    },
  ],
  deviceScopes: ['device:full-access'],
};

export class CatalogueIndex {
  readonly scopeNames: ReadonlySet<string>;
  private readonly roles: ReadonlyMap<string, RoleDef>;
  private readonly scopes: ReadonlyMap<string, ScopeDef>;
  private readonly grants: ReadonlyMap<string, { method: string; pattern: PathPattern }[]>;
  /** The catalogue's plans by name. */
  readonly plans: ReadonlyMap<string, PlanDef>;

  constructor(readonly catalogue: Catalogue) {
    this.scopes = new Map(catalogue.scopes.map((s) => [s.name, s]));
    this.roles = new Map(catalogue.roles.map((r) => [r.name, r]));
    this.scopeNames = new Set(this.scopes.keys());
    this.plans = new Map((catalogue.plans ?? []).map((p) => [p.name, p]));
    this.grants = new Map(
      catalogue.scopes.map((s) => [
        s.name,
        s.grants.map((g) => {
          const pattern = parsePathPattern(g.path);
          // The file loader validates first; this only guards catalogues built in code.
          if (typeof pattern === 'string') throw new Error(`catalogue scope ${s.name}: path "${g.path}" ${pattern}`);
          return { method: g.method.toUpperCase(), pattern };
        }),
      ]),
    );
  }

  /** The scopes every device signature holds at the gateway, roles expanded. */
  deviceScopes(): string[] {
    // Computed once: the same list object each time, so its compiled matcher is found by identity.
    this.device ??= this.expand(this.catalogue.deviceScopes ?? []).scopes;
    return this.device;
  }

  private device: string[] | undefined;

  /**
   * The first of `scopes` that grants `method` on `uri` (query string ignored), or
   * undefined. Non-canonical paths (dot or empty segments, encoded slashes) match nothing.
   */
  grantingScope(scopes: readonly string[], method: string, uri: string): string | undefined {
    return this.matcher(scopes).scopeFor(method, uri);
  }

  /**
   * The compiled matcher of a scope list: one per list object (a cached key record keeps its
   * list, so a hit is one WeakMap read), shared by every equal list through `byNames`.
   */
  matcher(scopes: readonly string[]): ScopeMatcher {
    let m = this.matchers.get(scopes);
    if (m !== undefined) return m;
    const names = scopes.join('\n');
    m = this.byNames.get(names);
    if (m === undefined) {
      if (this.byNames.size >= MAX_MATCHERS) this.byNames.clear();
      m = new ScopeMatcher(scopes.flatMap((name) => (this.grants.get(name) ?? []).map((g) => ({ ...g, scope: name }))));
      this.byNames.set(names, m);
    }
    this.matchers.set(scopes, m);
    return m;
  }

  private readonly matchers = new WeakMap<readonly string[], ScopeMatcher>();
  private readonly byNames = new Map<string, ScopeMatcher>();

  scope(name: string): ScopeDef | undefined {
    return this.scopes.get(name);
  }

  /** `keyward:<permission>`: a management permission carried by an access key. */
  isManagementScope(name: string): boolean {
    return name.startsWith(MANAGEMENT_SCOPE_PREFIX) && isKeyPermission(name.slice(MANAGEMENT_SCOPE_PREFIX.length));
  }

  isRole(name: string): boolean {
    return this.roles.has(name);
  }

  /** Expand role names into their scopes; returns the unknown names separately. */
  expand(names: readonly string[]): { scopes: string[]; unknown: string[] } {
    const out = new Set<string>();
    const unknown: string[] = [];
    for (const name of names) {
      const role = this.roles.get(name);
      if (role) for (const s of role.scopes) out.add(s);
      else if (this.scopes.has(name)) out.add(name);
      else unknown.push(name);
    }
    return { scopes: [...out].sort(), unknown };
  }
}

/** Distinct scope lists compiled at once; beyond it the table starts over (a bound, not a working set). */
const MAX_MATCHERS = 4096;
/** Answers kept per scope list, and the longest path kept: hostile URIs cannot grow memory. */
const MAX_ROUTES = 512;
const MAX_CACHED_PATH = 512;

/**
 * A scope list's grants flattened in the list's order, and its answers by `METHOD path`: the
 * answer depends only on the method and the URI's path (the query is ignored, see
 * `canonicalSegments`), so a gateway sees the catalogue walked once per route, not per request.
 */
export class ScopeMatcher {
  /** null: no scope grants the route. */
  private readonly routes = new Map<string, string | null>();

  constructor(private readonly grants: readonly { method: string; pattern: PathPattern; scope: string }[]) {}

  scopeFor(method: string, uri: string): string | undefined {
    const path = pathOfUri(uri);
    const route = `${method} ${path}`;
    const hit = this.routes.get(route);
    if (hit !== undefined) return hit ?? undefined;
    const scope = this.match(method.toUpperCase(), path);
    if (path.length <= MAX_CACHED_PATH) {
      if (this.routes.size >= MAX_ROUTES) this.routes.clear();
      this.routes.set(route, scope ?? null);
    }
    return scope;
  }

  private match(verb: string, path: string): string | undefined {
    const segments = canonicalSegments(path);
    if (!segments) return undefined;
    for (const g of this.grants) {
      if ((g.method === '*' || g.method === verb) && matchesPath(g.pattern, segments)) return g.scope;
    }
    return undefined;
  }
}
