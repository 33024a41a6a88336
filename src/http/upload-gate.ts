import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { describeValue, KwsError } from '../errors/index.js';

/** What {@link uploadGate} checks a request against (the server's upload limits). */
export interface UploadGateLimits {
  /** Largest request body (Content-Length), bytes. */
  readonly maxBodyBytes: number;
}

const isMultipart = (req: Request): boolean =>
  (req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data');

/**
 * The checks every upload passes before its body is read, the same for `POST /v1/clips` and GraphQL
 * multipart requests (one contract): a chunked body (`Transfer-Encoding`, no Content-Length) is
 * refused with 411 `LENGTH_REQUIRED`, since its size cannot be checked first; a request without a
 * body (no Content-Length, or 0) with 400 `INVALID_ARGUMENT` saying so; a Content-Length above
 * `maxBodyBytes` with 413 `TOO_LARGE`. With `requireMultipart`, any other content type is 400 (REST);
 * without, requests that are not multipart pass untouched (GraphQL's JSON requests).
 */
export function uploadGate(
  limits: UploadGateLimits,
  { requireMultipart }: { requireMultipart: boolean },
): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const multipart = isMultipart(req);
    if (!multipart && !requireMultipart) return next();
    const declared = req.headers['content-length'];
    if (declared === undefined && req.headers['transfer-encoding'] !== undefined)
      return next(
        new KwsError(
          'LENGTH_REQUIRED',
          'uploads need a Content-Length header (a chunked request body cannot be size-checked before it is read)',
        ),
      );
    const length = declared === undefined ? 0 : Number(declared);
    if (length === 0)
      return next(
        new KwsError(
          'INVALID_ARGUMENT',
          'the request has no body: send multipart/form-data with the audio files (REST: in the field "clip")',
        ),
      );
    if (length > limits.maxBodyBytes)
      return next(
        new KwsError(
          'TOO_LARGE',
          `the request body (${length} bytes) is larger than the limit of ${limits.maxBodyBytes} bytes`,
        ),
      );
    if (!multipart)
      return next(
        new KwsError(
          'INVALID_ARGUMENT',
          `expected a multipart/form-data body with one or more files in the field "clip", got content type ${describeValue(req.headers['content-type'] ?? null)}`,
        ),
      );
    next();
  };
}
