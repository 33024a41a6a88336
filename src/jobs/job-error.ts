import { isErrorCode, KwsError, toClientError } from '../errors/index.js';
import type { ErrorCode } from '../errors/index.js';

/** Why a job (or a search trial) failed, as stored: a stable code and a message a user can act on. */
export interface JobError {
  readonly code: ErrorCode;
  readonly message: string;
}

/** A job error as GraphQL's `Job.error` (and the training worker) write it: `CODE: message`. */
export function renderJobError(error: JobError): string {
  return `${error.code}: ${error.message}`;
}

/**
 * Reads an error written as `CODE: message` (rows stored before errors had their own columns, the
 * training worker's `error` message). A text that does not start with a known code is `INTERNAL`
 * with the whole text as its message.
 */
export function parseJobErrorText(text: string): JobError {
  const match = /^([A-Z][A-Z_]*): ([\s\S]*)$/.exec(text);
  const code = match?.[1];
  if (match !== null && isErrorCode(code)) return { code, message: match[2] ?? '' };
  return { code: 'INTERNAL', message: text };
}

/**
 * The stored form of anything a job failed with, masked the way API errors are (`toClientError`):
 * a {@link KwsError} keeps its code and message; anything else, and any `INTERNAL` error, becomes
 * `INTERNAL` with a generic message and `masked: true`, so that the caller logs the original.
 */
export function toJobError(error: unknown): { readonly error: JobError; readonly masked: boolean } {
  const client = toClientError(error);
  return { error: { code: client.code, message: client.message }, masked: client.masked };
}

/**
 * The error a training worker posted as `CODE: message`, as an error to store: a {@link KwsError}
 * for a known code other than `INTERNAL`, else a plain `Error` with the worker's message (an
 * unexpected failure, which {@link toJobError} masks).
 */
export function fromWorkerText(text: string): Error {
  const parsed = parseJobErrorText(text);
  return parsed.code === 'INTERNAL' ? new Error(parsed.message) : new KwsError(parsed.code, parsed.message);
}

/** Receives an unexpected error a job failed with (see {@link storedJobError}). */
export type InternalErrorHandler = (error: KwsError, jobId: number) => void;

/**
 * The stored form of what job `jobId` failed with ({@link toJobError}); an unexpected error is
 * reported to `onInternalError` as a `KwsError` `INTERNAL` naming the job, the original (with its
 * stack) as its `cause` (default: printed to stderr), and stored masked.
 */
export function storedJobError(jobId: number, error: unknown, onInternalError?: InternalErrorHandler): JobError {
  const { error: stored, masked } = toJobError(error);
  if (masked) {
    const report = new KwsError('INTERNAL', `job ${jobId} failed unexpectedly`, { cause: error });
    if (onInternalError === undefined) console.error(report);
    else onInternalError(report, jobId);
  }
  return stored;
}
