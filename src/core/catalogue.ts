import { canonicalSegments, matchesPath, type PathPattern, parsePathPattern } from './path-pattern.js';
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

  /**
   * The first of `scopes` that grants `method` on `uri` (query string ignored), or
   * undefined. Non-canonical paths (dot or empty segments, encoded slashes) match nothing.
   */
  /** The scopes every device signature holds at the gateway, roles expanded. */
  deviceScopes(): string[] {
    return this.expand(this.catalogue.deviceScopes ?? []).scopes;
  }

  grantingScope(scopes: readonly string[], method: string, uri: string): string | undefined {
    const segments = canonicalSegments(uri);
    if (!segments) return undefined;
    const verb = method.toUpperCase();
    for (const name of scopes) {
      for (const g of this.grants.get(name) ?? []) {
        if ((g.method === '*' || g.method === verb) && matchesPath(g.pattern, segments)) return name;
      }
    }
    return undefined;
  }

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
