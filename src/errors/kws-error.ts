import type { AudioDecodeErrorCode, ErrorCode } from './codes.js';
import { isErrorCode } from './codes.js';

/** Plain-object form of an error, safe to send across worker threads or print as JSON. */
export interface SerializedKwsError {
  readonly name: string;
  readonly code: ErrorCode;
  readonly message: string;
}

/**
 * Base class of every error kws-serve raises on purpose. `code` is stable and documented
 * (see {@link ERROR_CODES}); `message` names the problem in words a user can act on.
 * Errors that cross a worker-thread boundary lose their prototype, so recognise them with
 * {@link isKwsError} (by `name` and `code`), not only `instanceof`.
 */
export class KwsError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return 'KwsError';
  }

  /** JSON form: `{ name, code, message }`, no stack. */
  toJSON(): SerializedKwsError {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/**
 * Raised by `decodeAudio` and the audio helpers for input that cannot become a 16 kHz mono signal.
 * `code` is one of {@link AudioDecodeErrorCode}.
 */
export class AudioDecodeError extends KwsError {
  declare readonly code: AudioDecodeErrorCode;

  constructor(code: AudioDecodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }

  override get name(): string {
    return 'AudioDecodeError';
  }
}

/** Raised when a `FeatureConfig` or a feature-extraction argument is invalid. */
export class FeatureError extends KwsError {
  declare readonly code: 'INVALID_FEATURE_CONFIG' | 'SHAPE_MISMATCH';

  constructor(code: 'INVALID_FEATURE_CONFIG' | 'SHAPE_MISMATCH', message: string) {
    super(code, message);
  }

  override get name(): string {
    return 'FeatureError';
  }
}

/**
 * Turns a Node.js file-system error into a {@link KwsError} naming the path: ENOENT is
 * `FILE_NOT_FOUND`; other errors are `FILE_UNWRITABLE` when writing and `FILE_UNREADABLE` when reading.
 * A KwsError passes through unchanged; anything that is not an errno error is rethrown as it is.
 */
export function fromFsError(error: unknown, path: string, action: 'read' | 'write'): KwsError {
  if (error instanceof KwsError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string') throw error;
  if (code === 'ENOENT' && action === 'read')
    return new KwsError('FILE_NOT_FOUND', `${path} does not exist`, { cause: error });
  const why: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOTDIR: 'a part of the path is not a folder',
    EISDIR: 'it is a folder',
    EEXIST: 'it already exists',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
    ENOENT: 'a parent folder does not exist',
  };
  return new KwsError(
    action === 'write' ? 'FILE_UNWRITABLE' : 'FILE_UNREADABLE',
    `cannot ${action} ${path}: ${why[code] ?? code}`,
    { cause: error },
  );
}

/** A value as it should appear in an error message: numbers (NaN, Infinity) as written, the rest as JSON. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint' || value === undefined) return String(value);
  // JSON would print NaN and ±Infinity as null: name them.
  return (
    JSON.stringify(value, (_key, v: unknown) =>
      typeof v === 'number' && !Number.isFinite(v) ? `__${String(v)}__` : v,
    )?.replace(/"__(NaN|-?Infinity)__"/g, '$1') ?? String(value)
  );
}

/**
 * True for a {@link KwsError} or for a plain object that has been one (after structured clone
 * across a worker thread): it has a string `name`, a stable `code` and a string `message`.
 */
export function isKwsError(value: unknown): value is KwsError | SerializedKwsError {
  if (value instanceof KwsError) return true;
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { name?: unknown; code?: unknown; message?: unknown };
  return typeof candidate.name === 'string' && typeof candidate.message === 'string' && isErrorCode(candidate.code);
}

/**
 * Normalises anything thrown into a serializable error. Known errors keep their code and message;
 * anything else becomes `INTERNAL` with a masked message (the original stays in `cause` for logs).
 */
export function toSerializedError(value: unknown): SerializedKwsError {
  if (value instanceof KwsError) return value.toJSON();
  if (isKwsError(value)) return { name: value.name, code: value.code, message: value.message };
  return { name: 'KwsError', code: 'INTERNAL', message: 'internal error' };
}

/**
 * Rebuilds a thrown error from its serialized form (after a worker-thread hop): an
 * {@link AudioDecodeError} when it was one, else a {@link KwsError} with the same code and message.
 */
export function fromSerializedError(error: SerializedKwsError): KwsError {
  if (error.name === 'AudioDecodeError') return new AudioDecodeError(error.code as AudioDecodeErrorCode, error.message);
  return new KwsError(error.code, error.message);
}

/**
 * Thrown from the `default` branch of a `switch` over a discriminated union that TypeScript has
 * proven exhaustive (after Apollo Server's `UnreachableCaseError`): reaching it means a new case
 * was added without handling it.
 */
export class UnreachableCaseError extends Error {
  constructor(value: never) {
    super(`unreachable case: ${JSON.stringify(value)}`);
  }
}
