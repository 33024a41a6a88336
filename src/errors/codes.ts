/**
 * The stable error codes of kws-serve, with the HTTP status each maps to at the edge and a
 * one-line description. This table is the single source of truth: `http`/`graphql` adapters map
 * through it, and a test checks that every code is documented in README.md.
 *
 * Status choices follow RFC 9110: 413 for content over a size or duration limit, 415 for content
 * that is not a supported audio format, 422 for audio that parses but cannot be used, 400 for
 * malformed arguments, 404 for missing files and records, 503/504 for load shedding and timeouts, 500 for anything unexpected (masked at the edge).
 */
export interface ErrorCodeInfo {
  /** HTTP status returned when this error reaches an HTTP client. */
  readonly httpStatus: number;
  /** What the code means, for README and API docs. */
  readonly description: string;
}

export const ERROR_CODES = {
  EMPTY: { httpStatus: 422, description: 'The input has no bytes, or its audio stream holds no samples.' },
  TRUNCATED: { httpStatus: 422, description: 'The file ends before its header or declared audio data does.' },
  NOT_AUDIO: {
    httpStatus: 415,
    description: 'The bytes are not a recognised audio container (WAV, FLAC, MP3, Ogg, WebM).',
  },
  UNSUPPORTED_FORMAT: {
    httpStatus: 415,
    description: 'A recognised container, but a codec, bit depth, sample rate or channel layout that is not supported.',
  },
  MALFORMED: {
    httpStatus: 422,
    description:
      "A file's structure is inconsistent: an audio container header (for example a zero block alignment), a labels.csv, or a model that is not valid ONNX or does not run.",
  },
  DECODE_FAILED: { httpStatus: 422, description: 'The codec library rejected the audio stream as corrupt.' },
  INVALID_SAMPLES: { httpStatus: 422, description: 'The decoded audio contains NaN or infinite sample values.' },
  TOO_LONG: {
    httpStatus: 413,
    description: 'The audio is longer than the configured maximum duration (default 10 s).',
  },
  TOO_LARGE: { httpStatus: 413, description: 'The input is larger than the configured maximum number of bytes.' },
  FILE_NOT_FOUND: { httpStatus: 404, description: 'A file named on the command line or in a request does not exist.' },
  FILE_UNREADABLE: {
    httpStatus: 400,
    description: 'A path exists but cannot be read as needed (a file where a folder is expected, or no permission).',
  },
  FILE_UNWRITABLE: {
    httpStatus: 500,
    description: 'An output path cannot be created or written (not a folder, no permission, read-only).',
  },
  INVALID_FEATURE_CONFIG: {
    httpStatus: 400,
    description: 'A feature configuration field is missing, of the wrong type or out of range.',
  },
  SHAPE_MISMATCH: {
    httpStatus: 400,
    description: 'An array passed to the feature extractor has the wrong length for its configuration.',
  },
  INVALID_ARGUMENT: { httpStatus: 400, description: 'An option or argument is out of range or of the wrong type.' },
  NOT_FOUND: { httpStatus: 404, description: 'A clip, model version or job named in a request does not exist.' },
  TOO_MANY_FILES: {
    httpStatus: 413,
    description: 'An upload carries more files, or more bytes in all, than the server accepts in one request.',
  },
  OVERLOADED: {
    httpStatus: 503,
    description: 'The inference queue is full; retry after the number of seconds in Retry-After.',
  },
  TIMEOUT: { httpStatus: 504, description: 'A request waited longer than the per-request timeout for its inference.' },
  NOT_READY: {
    httpStatus: 503,
    description: 'The server has not loaded and warmed its serving model version yet, or is shutting down.',
  },
  UNAUTHENTICATED: {
    httpStatus: 401,
    description:
      'The server needs an API key (`Authorization: Bearer <key>`) and the request has none, or one that is unknown or revoked.',
  },
  FORBIDDEN: {
    httpStatus: 403,
    description: "The request's API key is valid but its scope does not allow this operation.",
  },
  RATE_LIMITED: {
    httpStatus: 429,
    description:
      'The API key (or, without keys, the client address) has used its request rate (`--rate-limit`); retry after the seconds in Retry-After.',
  },
  PATH_NOT_ALLOWED: {
    httpStatus: 403,
    description:
      'A folder named in a request is outside the roots the server was configured to read (KWS_SCORE_ROOTS).',
  },
  JOB_NOT_FINISHED: {
    httpStatus: 409,
    description: 'A job output was requested before the job succeeded.',
  },
  ILLEGAL_TRANSITION: {
    httpStatus: 409,
    description:
      'A job was asked to make a move its lifecycle does not allow from the state it is in now (to start twice, to finish before it started, to change once finished); it is left as it was.',
  },
  LENGTH_REQUIRED: {
    httpStatus: 411,
    description:
      'An upload was sent without a Content-Length header (a chunked body), so its size cannot be checked before reading.',
  },
  QUERY_TOO_COMPLEX: {
    httpStatus: 400,
    description:
      'A GraphQL operation costs more than the server allows (too many clips, fields or aliases in one request).',
  },
  INTERRUPTED: {
    httpStatus: 503,
    description:
      'A job was stopped by a shutdown or a restart of the server before it finished (a training job cannot resume); submit it again.',
  },
  INTERNAL: {
    httpStatus: 500,
    description: 'An unexpected failure; the message is masked at the edge and the details logged.',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

/** Every stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes an {@link AudioDecodeError} may carry. */
export type AudioDecodeErrorCode =
  | 'EMPTY'
  | 'TRUNCATED'
  | 'NOT_AUDIO'
  | 'UNSUPPORTED_FORMAT'
  | 'MALFORMED'
  | 'DECODE_FAILED'
  | 'INVALID_SAMPLES'
  | 'TOO_LONG'
  | 'TOO_LARGE';

/** True when `value` is one of the stable codes in {@link ERROR_CODES}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** HTTP status for a code; 500 for anything that is not a stable code. */
export function httpStatusFor(code: unknown): number {
  return isErrorCode(code) ? ERROR_CODES[code].httpStatus : 500;
}
