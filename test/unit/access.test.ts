import { describe, expect, it } from 'vitest';
import { assertCaller, assertKeyRight, assertWithin, mayEnter, type Need } from '../../src/core/access.js';
import { CatalogueIndex, DEFAULT_CATALOGUE } from '../../src/core/catalogue.js';
import { isKeywardError } from '../../src/core/errors.js';
import type { User } from '../../src/core/model.js';
import type { Permission } from '../../src/core/permissions.js';
import { keyPrincipal, sessionPrincipal } from '../../src/core/rights.js';

const catalogue = new CatalogueIndex(DEFAULT_CATALOGUE);

function user(over: Partial<User> = {}): User {
  return {
    id: 'usr_1',
    accountId: 'acc_1',
    email: 'u@test',
    name: 'U',
    isOperator: false,
    isAdmin: false,
    permissions: [],
    apiScopes: [],
    createdAt: 0,
    deletedAt: null,
    ...over,
  };
}

const operator = sessionPrincipal(user({ id: 'usr_op', accountId: null, isOperator: true }), catalogue, 'ses_1');
const admin = sessionPrincipal(user({ isAdmin: true }), catalogue, 'ses_2');
const member = (permissions: Permission[]) => sessionPrincipal(user({ permissions }), catalogue, 'ses_3');
const adminKey = keyPrincipal(user({ isAdmin: true }), 'key_1', ['keyward:applications.view'], catalogue);

/** The code and message an assertion throws, or 'ok'. */
function outcome(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!isKeywardError(e)) throw e;
    return `${e.code}: ${e.message}`;
  }
}

/** Every check `authorizeOn` makes, in its order, for a caller inside an existing account. */
const decide = (p: Parameters<typeof assertCaller>[0], need: Need) =>
  outcome(() => {
    assertCaller(p, need);
    assertWithin(p, need);
  });

describe('the permission guard (issue 13: one guard, one order)', () => {
  it('an access key is refused where a session is needed, before anything else', () => {
    expect(decide(adminKey, { session: true, right: 'admin' })).toBe(
      'SESSION_REQUIRED: This operation needs a signed-in user session, not an access key.',
    );
    expect(decide(admin, { session: true, right: 'admin' })).toBe('ok');
  });

  it('operator-only operations refuse everyone else, admins included', () => {
    expect(decide(admin, { operatorOnly: true })).toBe('FORBIDDEN: Only the operator can do this.');
    expect(decide(operator, { operatorOnly: true })).toBe('ok');
  });

  it('what a user creates and owns is refused to the operator, who holds every right otherwise', () => {
    expect(decide(operator, { creates: 'application', right: 'applications.create' })).toMatch(/^FORBIDDEN: Applications belong/);
    expect(decide(operator, { creates: 'customer_key', right: 'customer_keys.manage' })).toMatch(/sign in as an account admin\.$/);
    expect(decide(operator, { right: 'devices.manage' })).toBe('ok');
    expect(decide(operator, { right: 'audit.read' })).toBe('ok');
  });

  it('rights: admins hold all, members what they were given, with the refusal naming what is missing', () => {
    expect(decide(admin, { right: 'customer_keys.manage' })).toBe('ok');
    expect(decide(member([]), { right: 'customer_keys.manage' })).toBe('FORBIDDEN: Customer keys are managed by account admins.');
    expect(decide(member(['applications.edit']), { right: 'applications.view' })).toBe('ok'); // every action implies viewing
    expect(decide(member(['applications.view']), { right: 'applications.edit' })).toBe('FORBIDDEN: Missing permission applications.edit.');
    expect(decide(member(['devices.manage']), { right: 'devices.view' })).toBe('ok');
    expect(decide(member(['keys.view.mine']), { right: 'keys.view' })).toBe('ok');
    expect(decide(member([]), { right: 'keys.view' })).toBe('FORBIDDEN: Missing permission keys.view.any or keys.view.mine.');
    expect(decide(member(['users.view']), { session: true, right: 'users.view' })).toBe('ok');
    expect(decide(member([]), {})).toBe('ok');
  });

  it('tenancy: the operator enters every account, everyone else only their own', () => {
    expect(mayEnter(operator, 'acc_2')).toBe(true);
    expect(mayEnter(admin, 'acc_1')).toBe(true);
    expect(mayEnter(admin, 'acc_2')).toBe(false);
  });

  it('key rights depend on who created the application', () => {
    const mine = member(['keys.revoke.mine']);
    expect(outcome(() => assertKeyRight(mine, 'revoke', 'usr_1'))).toBe('ok');
    expect(outcome(() => assertKeyRight(mine, 'revoke', 'usr_other'))).toMatch(/^FORBIDDEN: Missing permission keys\.revoke\.any/);
    expect(outcome(() => assertKeyRight(operator, 'revoke', 'usr_other'))).toBe('ok');
  });
});
