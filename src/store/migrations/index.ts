import type { Migration } from 'kysely';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-devices.js';
import * as m0003 from './0003-usage.js';
import * as m0004 from './0004-master-key-ids.js';
import * as m0005 from './0005-audit-action-names.js';
import * as m0006 from './0006-change-log.js';
import * as m0007 from './0007-ratelimits.js';
import * as m0008 from './0008-webhooks.js';
import * as m0009 from './0009-usage-rejected.js';
import * as m0010 from './0010-audit-target-index.js';
import * as m0011 from './0011-device-usage.js';

/**
 * Every migration, in order. A static list (not a folder scan) so the compiled build and
 * the test runner see the same set. Never edit a released migration: add a new one.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-devices': m0002,
  '0003-usage': m0003,
  '0004-master-key-ids': m0004,
  '0005-audit-action-names': m0005,
  '0006-change-log': m0006,
  '0007-ratelimits': m0007,
  '0008-webhooks': m0008,
  '0009-usage-rejected': m0009,
  '0010-audit-target-index': m0010,
  '0011-device-usage': m0011,
};
