import { z } from 'zod';
import type { Catalogue } from './catalogue.js';
import { HTTP_METHODS, parsePathPattern } from './path-pattern.js';
import { MANAGEMENT_SCOPE_PREFIX } from './permissions.js';
import { QuotaInput, RateLimitsInput } from './ratelimit.js';

/**
 * The operator's catalogue file (KEYWARD_CATALOGUE_FILE, docs/catalogue.md). Validated
 * once at start: a bad file stops Keyward with a message naming each problem, rather
 * than granting something the operator did not mean.
 */
const Name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9:._-]{0,99}$/, 'names are 1-100 of a-z 0-9 : . _ - and start with a letter or digit')
  .refine((n) => !n.startsWith(MANAGEMENT_SCOPE_PREFIX), `the "${MANAGEMENT_SCOPE_PREFIX}" prefix is reserved for management scopes`);

const Grant = z.strictObject({
  method: z.string().refine((m) => m === '*' || (HTTP_METHODS as readonly string[]).includes(m), {
    message: `method must be "*" or one of ${HTTP_METHODS.join(', ')} (upper case)`,
  }),
  path: z.string().superRefine((p, c) => {
    const parsed = parsePathPattern(p);
    if (typeof parsed === 'string') c.addIssue({ code: 'custom', message: `bad path pattern "${p}": ${parsed}` });
  }),
});

const Scope = z.strictObject({
  name: Name,
  description: z.string().max(200),
  grants: z.array(Grant).min(1, 'a scope needs at least one grant'),
  keyKinds: z
    .array(z.enum(['application', 'customer']))
    .min(1, 'keyKinds needs "application", "customer" or both')
    .default(['application']),
});

const Role = z.strictObject({
  name: Name,
  description: z.string().max(200),
  scopes: z.array(z.string()).min(1, 'a role needs at least one scope'),
});

const Plan = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,49}$/, 'plan names are 1-50 of a-z 0-9 . _ - and start with a letter or digit'),
  description: z.string().max(200).default(''),
  ratelimits: RateLimitsInput.default([]),
  quota: QuotaInput.nullable().default(null),
});

export const CatalogueFile = z
  .strictObject({
    scopes: z.array(Scope).min(1, 'the catalogue needs at least one scope'),
    roles: z.array(Role).default([]),
    deviceScopes: z.array(z.string()).default([]),
    plans: z.array(Plan).max(100).default([]),
  })
  .superRefine((cat, c) => {
    const seen = new Map<string, string>();
    const claim = (name: string, what: string, path: (string | number)[]) => {
      const before = seen.get(name);
      if (before) c.addIssue({ code: 'custom', path, message: `duplicate name "${name}" (already used by a ${before})` });
      else seen.set(name, what);
    };
    cat.scopes.forEach((s, i) => {
      claim(s.name, 'scope', ['scopes', i, 'name']);
    });
    cat.roles.forEach((r, i) => {
      claim(r.name, 'role', ['roles', i, 'name']);
    });
    const planNames = new Set<string>();
    cat.plans.forEach((p, i) => {
      if (planNames.has(p.name)) c.addIssue({ code: 'custom', path: ['plans', i, 'name'], message: `duplicate plan "${p.name}"` });
      planNames.add(p.name);
    });
    const scopeNames = new Set(cat.scopes.map((s) => s.name));
    const roleNames = new Set(cat.roles.map((r) => r.name));
    cat.deviceScopes.forEach((s, i) => {
      if (!scopeNames.has(s) && !roleNames.has(s))
        c.addIssue({ code: 'custom', path: ['deviceScopes', i], message: `unknown scope or role "${s}" in deviceScopes` });
    });
    cat.roles.forEach((r, i) => {
      r.scopes.forEach((s, j) => {
        if (!scopeNames.has(s))
          c.addIssue({ code: 'custom', path: ['roles', i, 'scopes', j], message: `unknown scope "${s}" in role "${r.name}"` });
      });
    });
  });

/** Parses and validates catalogue JSON text; throws an Error listing every problem. */
export function parseCatalogue(text: string, source: string): Catalogue {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`Catalogue ${source} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const result = CatalogueFile.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  - ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new Error(`Catalogue ${source} is invalid:\n${problems.join('\n')}`);
  }
  const { plans, ...rest } = result.data;
  if (plans.length === 0) return rest;
  return {
    ...rest,
    plans: plans.map((p) => ({ ...p, quota: p.quota && { credits: p.quota.credits, refill: p.quota.refill ?? null } })),
  };
}
