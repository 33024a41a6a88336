import { KwsError } from './kws-error.js';

/**
 * Errors that express's body parsers, multer and graphql-upload raise for bad requests carry an HTTP
 * status (the http-errors convention: `status` 4xx and `expose`): they become KwsErrors with our
 * codes (413: `TOO_LARGE`, or `TOO_MANY_FILES` for a file count; other 4xx: `INVALID_ARGUMENT`).
 * Anything else is returned as it is.
 */
export function fromHttpError(error: unknown): unknown {
  const candidate = error as { status?: unknown; expose?: unknown; message?: unknown } | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.status !== 'number' ||
    candidate.status < 400 ||
    candidate.status >= 500 ||
    candidate.expose !== true
  )
    return error;
  const message = typeof candidate.message === 'string' ? candidate.message : 'bad request';
  if (candidate.status === 413)
    return new KwsError(
      /max file uploads/.test(message) ? 'TOO_MANY_FILES' : 'TOO_LARGE',
      `the request is too large: ${message}`,
    );
  if (message === 'File missing in the request.') return new KwsError('INVALID_ARGUMENT', MISSING_FILE_PART);
  return new KwsError('INVALID_ARGUMENT', `bad request body: ${message}`);
}

/** What a client hears for a file the request names but does not carry as a file part (both transports). */
export const MISSING_FILE_PART =
  'a file the request names has no file part: it is missing, or was sent with an empty file name (a part without a file name is read as a text field); give every file a name';

/** busboy's messages for a body it cannot parse, and what they mean to a client. */
const MULTIPART_PARSE_ERRORS: Readonly<Record<string, string>> = {
  'Malformed part header':
    'a multipart part header is malformed (a raw control character such as CR, LF, NUL or ESC in a file name, or a broken header line)',
  'Unexpected end of form': 'the multipart body ends before its closing boundary (cut short, or empty)',
  'Multipart: Boundary not found': 'the multipart content type has no boundary',
  'Malformed content type': 'the multipart content type is malformed',
  'Unsupported content type: multipart/form-data': 'the multipart content type has no boundary',
};

/**
 * The client error for a failure while reading a multipart upload, the same for REST (multer) and
 * GraphQL (graphql-upload), both on busboy: a KwsError stays as it is; an http-errors 4xx goes
 * through {@link fromHttpError}; one of busboy's known parse errors is `INVALID_ARGUMENT` with a
 * message naming the problem; anything else (a system error such as ENOSPC writing a temporary
 * file, a library's own fault) is returned unchanged, a server fault to mask and log.
 */
export function fromMultipartError(error: unknown): unknown {
  if (error instanceof KwsError) return error;
  const mapped = fromHttpError(error);
  if (mapped !== error) return mapped;
  if (!(error instanceof Error) || typeof (error as NodeJS.ErrnoException).code === 'string') return error;
  const known = MULTIPART_PARSE_ERRORS[error.message];
  // Only busboy's known parse errors are the client's; anything else (a library or program fault) stays a server error.
  return known === undefined ? error : new KwsError('INVALID_ARGUMENT', known);
}

/** The per-file error of an upload over the per-file limit, worded the same for REST and GraphQL. */
export function fileTooLarge(filename: string, maxFileBytes: number): KwsError {
  return new KwsError(
    'TOO_LARGE',
    `upload ${JSON.stringify(filename)} is larger than the limit of ${maxFileBytes} bytes per file`,
  );
}

/** The per-file error of a file part without a file name (REST drops such parts, GraphQL refuses them). */
export const UNNAMED_FILE = 'a file was sent without a file name (filename="" or none): give every file a name';
