import { KeywardError } from './errors.js';
import {
  type AppAction,
  canOnApplications,
  canOnDevices,
  canOnKeysOf,
  canOnWebhooks,
  canViewUsers,
  type KeyAction,
  mayActOnSomeKeys,
  type Principal,
} from './permissions.js';

const isAdmin = (p: Principal) => p.isOperator || p.isAdmin;
const appRight = (action: AppAction) => ({
  holds: (p: Principal) => p.isOperator || canOnApplications(p, action),
  refusal: `Missing permission applications.${action}.`,
});

/**
 * Every right an operation may need inside an account, with the refusal a caller without it
 * gets (403 FORBIDDEN). The operator holds them all.
 */
const RIGHTS = {
  admin: { holds: isAdmin, refusal: 'Only account admins can do this.' },
  'audit.read': { holds: isAdmin, refusal: 'Only admins can read the audit log.' },
  'customer_keys.manage': { holds: isAdmin, refusal: 'Customer keys are managed by account admins.' },
  'users.view': { holds: canViewUsers, refusal: 'Seeing the users of the account needs an admin or the users.view permission.' },
  'applications.view': appRight('view'),
  'applications.create': appRight('create'),
  'applications.edit': appRight('edit'),
  'applications.revoke': appRight('revoke'),
  /** Some keys: which ones (`any` or `mine`) is the listing's business. */
  'keys.view': {
    holds: (p: Principal) => p.isOperator || mayActOnSomeKeys(p, 'view') !== 'none',
    refusal: 'Missing permission keys.view.any or keys.view.mine.',
  },
  'devices.view': { holds: (p: Principal) => p.isOperator || canOnDevices(p, 'view'), refusal: 'Missing permission devices.view.' },
  'devices.manage': { holds: (p: Principal) => p.isOperator || canOnDevices(p, 'manage'), refusal: 'Missing permission devices.manage.' },
  'webhooks.view': {
    holds: (p: Principal) => p.isOperator || canOnWebhooks(p, 'view'),
    refusal: 'Missing permission webhooks.view.',
  },
  'webhooks.manage': {
    holds: (p: Principal) => p.isOperator || canOnWebhooks(p, 'manage'),
    refusal: 'Missing permission webhooks.manage.',
  },
} satisfies Record<string, { holds: (p: Principal) => boolean; refusal: string }>;

export type Right = keyof typeof RIGHTS;

/**
 * What the operator may not create: what these operations create belongs to the user who
 * creates it, and the operator belongs to no account.
 */
const OWNED = {
  application: 'Applications belong to the user who creates them: sign in as an account user.',
  key: 'Access keys belong to the user who creates them: sign in as an account user.',
  customer_key: 'Access keys belong to the user who creates them: sign in as an account admin.',
} as const;

/**
 * What an operation needs of its caller, stated once per operation and checked in one order
 * (`authorizeOn` in src/service/guards.ts): first what does not depend on the account
 * (`session`, `operatorOnly`), then tenancy (another account's ids answer 404, as ids that do
 * not exist), then `creates` and `right`.
 */
export interface Need {
  /** A user acting directly (a dashboard session, or the CLI next to the store), never an access key. */
  session?: true;
  /** The operator alone. */
  operatorOnly?: true;
  /** The operation creates something its creator owns, so the operator is refused. */
  creates?: keyof typeof OWNED;
  right?: Right;
}

/**
 * People, passwords and sessions are managed only by a user acting directly, never through an
 * access key: a leaked key must not be able to take over the account of the user who created it.
 * And what only the operator may do is refused before any account is looked at.
 */
export function assertCaller(p: Principal, need: Need): void {
  if (need.session && p.viaKeyId !== null) {
    throw new KeywardError('SESSION_REQUIRED', 'This operation needs a signed-in user session, not an access key.');
  }
  if (need.operatorOnly && !p.isOperator) throw new KeywardError('FORBIDDEN', 'Only the operator can do this.');
}

/** Tenancy: the operator enters every account, everyone else only their own. */
export function mayEnter(p: Principal, accountId: string): boolean {
  return p.isOperator || p.accountId === accountId;
}

/** What is checked once the caller is inside the account. */
export function assertWithin(p: Principal, need: Need): void {
  if (need.creates !== undefined && p.isOperator) throw new KeywardError('FORBIDDEN', OWNED[need.creates]);
  if (need.right !== undefined) assertRight(p, need.right);
}

export function assertRight(p: Principal, right: Right): void {
  const r = RIGHTS[right];
  if (!r.holds(p)) throw new KeywardError('FORBIDDEN', r.refusal);
}

/**
 * A right on the keys of one application (`.any`, or `.mine` when the caller created the
 * application): it depends on the application, so it is checked where that is loaded.
 */
export function assertKeyRight(p: Principal, action: KeyAction, applicationCreatedBy: string): void {
  if (p.isOperator || canOnKeysOf(p, action, applicationCreatedBy)) return;
  throw new KeywardError('FORBIDDEN', `Missing permission keys.${action}.any (or keys.${action}.mine on your own applications).`);
}
