import { KeywardError } from '../core/errors.js';
import type { App } from './types.js';

/**
 * Checks every route applies before its own schema, so no route can forget them:
 * - no string anywhere in the path parameters, query or body contains U+0000 (PostgreSQL
 *   text cannot hold it, and no name or id of ours needs it);
 * - a PATCH that names nothing to change is refused rather than sent to the store as an
 *   UPDATE with an empty SET.
 */
export function registerInputGuards(app: App) {
  app.addHook('preValidation', async (req) => {
    const found = findNul(req.params, 'params') ?? findNul(req.query, 'querystring') ?? findNul(req.body, 'body');
    if (found !== undefined) throw nulError(found);
  });
  // After validation, so fields the schema strips (unknown ones) do not count as changes.
  app.addHook('preHandler', async (req) => {
    if (req.method === 'PATCH' && req.routeOptions.schema?.body !== undefined && isEmptyPatch(req.body)) {
      throw new KeywardError('VALIDATION_FAILED', 'body: nothing to change: send at least one field to update', {
        issues: [{ path: 'body', message: 'nothing to change: send at least one field to update' }],
      });
    }
  });
}

function isEmptyPatch(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && Object.values(body).every((v) => v === undefined);
}

export const NUL_MESSAGE = 'must not contain U+0000 (NUL)';

/** The 400 for a NUL found at `path`: the same shape as a schema failure (errorHandler). */
export function nulError(path: string): KeywardError {
  return new KeywardError('VALIDATION_FAILED', `${path}: ${NUL_MESSAGE}`, { issues: [{ path, message: NUL_MESSAGE }] });
}

interface Node {
  value: unknown;
  key: string;
  parent: Node | undefined;
}

/**
 * The path (`body.scopes.0`) of the first string, or property name, holding U+0000, or
 * undefined. Walks with an explicit stack, since request bodies nest as deep as their size
 * allows, and builds a path only for what it reports.
 */
export function findNul(value: unknown, root: string): string | undefined {
  const stack: Node[] = [{ value, key: root, parent: undefined }];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    const v = node.value;
    if (typeof v === 'string') {
      if (v.includes('\0')) return pathOf(node);
    } else if (typeof v === 'object' && v !== null) {
      for (const [key, child] of Object.entries(v)) {
        // A property name is reported at its object, so the answer never echoes the NUL itself.
        if (key.includes('\0')) return pathOf(node);
        stack.push({ value: child, key, parent: node });
      }
    }
  }
  return undefined;
}

const PATH_MAX = 200;

function pathOf(node: Node): string {
  const keys: string[] = [];
  for (let n: Node | undefined = node; n !== undefined; n = n.parent) keys.push(n.key);
  const path = keys.reverse().join('.');
  return path.length > PATH_MAX ? `${path.slice(0, PATH_MAX)}…` : path;
}
