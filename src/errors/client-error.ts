import { ERROR_CODES } from './codes.js';
import type { ErrorCode } from './codes.js';
import { isKwsError } from './kws-error.js';

/** What a client sees of an error: its stable code, a message and the HTTP status. */
export interface ClientError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly httpStatus: number;
  /** True when the error was not raised on purpose: its details stay in the logs. */
  readonly masked: boolean;
}

/**
 * The one mapping from anything thrown to what HTTP and GraphQL clients see (after Apollo Server's
 * `errorNormalize.ts`): a {@link KwsError} keeps its code and message with the status from
 * {@link ERROR_CODES}; anything else becomes `INTERNAL` (500) with a masked message, to be logged.
 */
export function toClientError(error: unknown): ClientError {
  if (isKwsError(error) && error.code !== 'INTERNAL') {
    return { code: error.code, message: error.message, httpStatus: ERROR_CODES[error.code].httpStatus, masked: false };
  }
  return { code: 'INTERNAL', message: 'internal error; the server log has the details', httpStatus: 500, masked: true };
}
