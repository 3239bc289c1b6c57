import type { ApiErrorCode } from './api-types.js';

/** Raised by the client itself: the server could not be reached (status 0), or answered without Keyward's error body. */
export type ClientErrorCode = 'NETWORK_ERROR' | `HTTP_${number}`;

/** A Keyward error response: branch on `code`, quote `requestId` in support requests. */
export class KeywardApiError extends Error {
  constructor(
    /** The HTTP status; 0 when no answer came. */
    readonly status: number,
    // `string & {}` keeps editor completion for the documented codes while allowing a newer server's.
    readonly code: ApiErrorCode | ClientErrorCode | (string & {}),
    message: string,
    readonly requestId: string | null,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KeywardApiError';
  }
}
