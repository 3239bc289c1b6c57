import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ERROR_CODES, type ErrorCode, httpStatusOf, KeywardError } from '../core/errors.js';

/** Codes that say "try again shortly", with how many seconds to wait. */
const RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = { STORE_UNAVAILABLE: 1 };

/**
 * The Retry-After of an error answer, in seconds: the wait the error itself names
 * (`details.retryAfterSeconds`, e.g. the sign-in throttle's), else the code's usual one.
 */
export function retryAfterOf(code: ErrorCode, details?: unknown): number | undefined {
  const fromDetails = (details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  return typeof fromDetails === 'number' ? fromDetails : RETRY_AFTER_SECONDS[code];
}

export function sendError(reply: FastifyReply, request: FastifyRequest, code: ErrorCode, message: string, details?: unknown) {
  const retryAfter = retryAfterOf(code, details);
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  return reply.status(httpStatusOf(code)).send({
    error: { code, message, requestId: request.id, ...(details !== undefined && { details }) },
  });
}

/** Fastify's own failure codes, mapped onto ours so every error body has one shape. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
};

/** The code, message and details errorHandler answers an error with. */
export function errorAnswerOf(error: FastifyError): { code: ErrorCode; message: string; details?: unknown } {
  if (error instanceof KeywardError) return { code: error.code, message: error.message, details: error.details };
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((v) => ({
      path: `${error.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')}`,
      message: v.message,
    }));
    const first = issues[0];
    return {
      code: 'VALIDATION_FAILED',
      message: first ? `${first.path}: ${first.message}` : ERROR_CODES.VALIDATION_FAILED,
      details: { issues },
    };
  }
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped) return { code: mapped, message: ERROR_CODES[mapped] };
  // The dashboard's static files (@fastify/static) refuse a Range past the end of a file.
  if (error.statusCode === 416) return { code: 'RANGE_NOT_SATISFIABLE', message: ERROR_CODES.RANGE_NOT_SATISFIABLE };
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    // A client error Fastify raised that has no code of ours yet: keep it a 4xx, never a 500.
    return { code: 'VALIDATION_FAILED', message: error.message };
  }
  return { code: 'INTERNAL_ERROR', message: ERROR_CODES.INTERNAL_ERROR };
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const answer = errorAnswerOf(error);
  if (answer.code === 'INTERNAL_ERROR' && !(error instanceof KeywardError)) request.log.error({ err: error }, 'unhandled error');
  return sendError(reply, request, answer.code, answer.message, answer.details);
}

/**
 * A route's own error handler: errorHandler, after telling `count` the code it answers with.
 * Routes that must count every answer (verification, authorization) use it, since their
 * refusals before the handler (schema, body) never reach the handler.
 */
export function countingErrorHandler(count: (code: ErrorCode) => void) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    count(errorAnswerOf(error).code);
    return errorHandler(error, request, reply);
  };
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  return sendError(reply, request, 'ROUTE_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`);
}

/** Errors Fastify raises before routing (its `frameworkErrors` option), answered in the envelope. */
const FRAMEWORK_CODES: Record<string, ErrorCode> = {
  FST_ERR_BAD_URL: 'BAD_URL',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
};

export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  // No route matched, so no onSend hook adds the request id header.
  reply.header('x-request-id', request.id);
  const code = error.code ? FRAMEWORK_CODES[error.code] : undefined;
  if (code) return sendError(reply, request, code, ERROR_CODES[code]);
  request.log.error({ err: error }, 'unhandled framework error');
  return sendError(reply, request, 'INTERNAL_ERROR', ERROR_CODES.INTERNAL_ERROR);
}
