import type { ErrorObject, ValidateFunction } from 'ajv';
// The named export: under NodeNext the default import of this CommonJS module types as the module object.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { type ErrorCode, httpStatusOf, SERVER_WIDE_ERROR_CODES } from '../src/core/errors.js';

/**
 * The contract test's validator: every response the suite receives through the harness is
 * checked against the OpenAPI document of the app that sent it (issue #13). The operation for
 * method + path must exist, the status must be declared, and the body must validate against
 * that status's schema. Exempt, and only these: the routes hidden from the document (HIDDEN),
 * and non-JSON answers of paths no operation covers (the dashboard's files).
 *
 * Errors answered before any route runs (ROUTE_NOT_FOUND, BAD_URL, …) are described once for
 * the whole server (components.schemas.FrameworkError), so they are accepted on any path, with
 * the status their code maps to.
 */

/**
 * What any request can be refused with before its route runs, besides the server-wide codes:
 * reading its body (Fastify parses one even for a path with no route) and the NUL check of
 * its query. Operations list them; a request to no operation can get them too (the
 * document's description says so).
 */
const READING_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
]);
const SERVER_WIDE_STATUSES: ReadonlySet<number> = new Set(SERVER_WIDE_ERROR_CODES.map((c) => httpStatusOf(c)));

/** Routes the document leaves out on purpose: the document itself. */
export const HIDDEN: ReadonlySet<string> = new Set(['GET /openapi.json', 'HEAD /openapi.json']);

const DOC_ID = 'https://keyward.invalid/openapi.json';
/** Method lists of operations that answer several methods alike (see src/http/routes/authorize.ts). */
const METHODS_EXTENSION = 'x-keyward-methods';

export interface Exchange {
  method: string;
  /** Path and query, as requested. */
  url: string;
  status: number;
  contentType: string | undefined;
  /** The parsed JSON body, or the raw text when the body is not JSON. */
  body: unknown;
}

interface Operation {
  /** `METHOD /path/{template}`, for messages. */
  name: string;
  methods: ReadonlySet<string>;
  /** Declared statuses, each with its body validator (null: no body declared). */
  responses: Map<number, ValidateFunction | null>;
}

interface PathEntry {
  template: string;
  pattern: RegExp;
  /** Lower sorts first: static segments beat parameters, parameters beat a wildcard (Fastify's own order). */
  rank: number[];
  operations: Operation[];
}

type OpenApi = {
  paths?: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
  components?: { schemas?: Record<string, unknown> };
};

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export class Contract {
  private readonly ajv: InstanceType<typeof Ajv2020>;
  private readonly paths: PathEntry[] = [];
  private readonly frameworkError: ValidateFunction;
  private readonly errorBody: ValidateFunction;

  constructor(doc: OpenApi) {
    // OpenAPI 3.1 schemas are JSON Schema 2020-12; its own keywords (example, discriminator…) are not validation.
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    this.ajv.addSchema(doc as object, DOC_ID);
    const ref = (path: string) => this.ajv.compile({ $ref: `${DOC_ID}#/${path}` });
    this.frameworkError = ref(pointer('components', 'schemas', 'FrameworkError'));
    this.errorBody = ref(pointer('components', 'schemas', 'ErrorBody'));

    for (const [template, item] of Object.entries(doc.paths ?? {})) {
      const segments = template.split('/').slice(1);
      const pattern = new RegExp(
        `^/${segments
          // Fastify matches an empty parameter too (`/v1/accounts//keys`); validation then refuses it.
          .map((s) => (s === '{*}' ? '.*' : /^\{[^}]+\}$/.test(s) ? '[^/]*' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
          .join('/')}$`,
      );
      const rank = segments.map((s) => (s === '{*}' ? 2 : s.startsWith('{') ? 1 : 0));
      const operations: Operation[] = [];
      for (const [method, op] of Object.entries(item)) {
        if (!HTTP_METHODS.includes(method)) continue;
        const extra = (op as Record<string, unknown>)[METHODS_EXTENSION];
        const methods = new Set([method.toUpperCase(), ...(method === 'get' ? ['HEAD'] : []), ...(Array.isArray(extra) ? extra : [])]);
        const responses = new Map<number, ValidateFunction | null>();
        for (const [status, response] of Object.entries(op.responses ?? {})) {
          const json = response.content?.['application/json'];
          responses.set(
            Number(status),
            json?.schema === undefined
              ? null
              : ref(pointer('paths', template, method, 'responses', status, 'content', 'application/json', 'schema')),
          );
        }
        operations.push({ name: `${method.toUpperCase()} ${template}`, methods, responses });
      }
      this.paths.push({ template, pattern, rank, operations });
    }
    this.paths.sort((a, b) => compareRanks(a.rank, b.rank));
  }

  /** The operation the document gives for this request, if any. */
  operationFor(method: string, url: string): Operation | undefined {
    const path = url.split(/[?#]/, 1)[0] ?? '';
    for (const entry of this.paths) {
      if (!entry.pattern.test(path)) continue;
      const op = entry.operations.find((o) => o.methods.has(method.toUpperCase()));
      if (op) return op;
    }
    return undefined;
  }

  /** What is wrong with this exchange according to the document; empty when it matches. */
  violations(x: Exchange): string[] {
    const method = x.method.toUpperCase();
    const path = x.url.split(/[?#]/, 1)[0] ?? '';
    if (HIDDEN.has(`${method} ${path}`)) return [];
    const json = isJson(x.contentType);

    const code = errorCodeOf(x.body);
    if (json && code !== undefined && (SERVER_WIDE_ERROR_CODES as readonly string[]).includes(code)) {
      if (httpStatusOf(code as ErrorCode) !== x.status)
        return [`server-wide ${code} answered with ${x.status}, not ${httpStatusOf(code as ErrorCode)}`];
      return this.frameworkError(x.body) ? [] : [`not a FrameworkError body: ${errorsText(this.frameworkError.errors)}`];
    }

    const op = this.operationFor(method, x.url);
    // A HEAD answer has no body to tell its code by: a server-wide status is taken as one.
    const headRefusal = method === 'HEAD' && x.body === undefined && SERVER_WIDE_STATUSES.has(x.status);
    if (!op) {
      // The dashboard's files and pages: not API, not in the document.
      if (!json || headRefusal) return [];
      if (code !== undefined && READING_CODES.has(code) && httpStatusOf(code as ErrorCode) === x.status) {
        return this.errorBody(x.body) ? [] : [`not an ErrorBody: ${errorsText(this.errorBody.errors)}`];
      }
      return [`no operation in the document for ${method} ${path}`];
    }
    if (!op.responses.has(x.status)) {
      if (headRefusal) return [];
      return [`${op.name} does not declare status ${x.status} (declares ${[...op.responses.keys()].join(', ')})`];
    }
    const validate = op.responses.get(x.status);
    if (method === 'HEAD' || validate === undefined || validate === null) return [];
    if (!json) return [`${op.name} ${x.status} declares application/json, got ${x.contentType ?? 'no content type'}`];
    return validate(x.body) ? [] : [`${op.name} ${x.status}: ${errorsText(validate.errors)}`];
  }
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType);
}

function errorCodeOf(body: unknown): string | undefined {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

function errorsText(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`)
    .join('; ');
}

/** One compiled contract per document object (@fastify/swagger builds the document once per app). */
const contracts = new WeakMap<object, Contract>();

export function contractOf(doc: object): Contract {
  let contract = contracts.get(doc);
  if (!contract) {
    contract = new Contract(doc as OpenApi);
    contracts.set(doc, contract);
  }
  return contract;
}

/** Throws, with everything needed to see why, when an exchange does not match the document. */
export function assertMatchesContract(doc: object, x: Exchange): void {
  const problems = contractOf(doc).violations(x);
  if (problems.length === 0) return;
  throw new Error(
    `The response does not match /openapi.json (fix the document, or the route):\n  ${x.method} ${x.url} → ${x.status} (${x.contentType ?? 'no content type'})\n  ${problems.join('\n  ')}\n  body: ${JSON.stringify(x.body)?.slice(0, 2000)}`,
  );
}
