import type { NextFunction, Request, Response } from 'express';
import multer from 'multer';
import {
  describeValue,
  ERROR_CODES,
  fileTooLarge,
  fromMultipartError,
  KwsError,
  MISSING_FILE_PART,
  toClientError,
  UNNAMED_FILE,
} from '../errors/index.js';
import { UNKNOWN_SCORES } from '../inference/index.js';
import type { UnknownScore } from '../inference/index.js';
import { principalKeyId, sanitizeFilename } from '../storage/index.js';
import { probabilitiesByLabel, thresholdsJson } from '../serving/index.js';
import type { PredictionView, ServingService, ThresholdOverrides, UploadOutcome } from '../serving/index.js';
import type { ServingMetrics } from './metrics.js';
import { principalOf } from './authenticate.js';
import { uploadGate } from './upload-gate.js';

/** Limits of `POST /v1/clips`. */
export interface UploadLimits {
  /** Largest file, bytes. Default 5 MB (5,242,880). */
  readonly maxFileBytes: number;
  /** Most files per request. Default 64. */
  readonly maxFiles: number;
  /** Largest request body (Content-Length), bytes. Default 64 MB. */
  readonly maxBodyBytes: number;
}

/** The defaults of {@link UploadLimits}. */
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = Object.freeze({
  maxFileBytes: 5 * 1024 * 1024,
  maxFiles: 64,
  maxBodyBytes: 64 * 1024 * 1024,
});

/** The field that carries the files. */
export const CLIP_FIELD = 'clip';

/** The query parameters `POST /v1/clips` takes; any other is refused, naming it. */
export const CLIP_QUERY_PARAMETERS = [
  'modelVersion',
  'unknownThreshold',
  'silenceThresholdDbfs',
  'unknownScore',
  'unknownEnergyThreshold',
  'nonSpeechRule',
  'tta',
] as const;

/** A prediction as REST JSON: probabilities as an object keyed by label (as `kws classify --json`). */
export function predictionJson(view: PredictionView): Record<string, unknown> {
  const { probabilities, thresholds, ...rest } = view;
  return {
    ...rest,
    probabilities: probabilitiesByLabel({ probabilities }),
    thresholds: thresholdsJson(thresholds),
  };
}

function numberParam(req: Request, name: string, integer: boolean): number | undefined {
  const raw = req.query[name];
  if (raw === undefined) return undefined;
  const text = typeof raw === 'string' ? raw.trim() : '';
  const pattern = integer ? /^[0-9]{1,9}$/ : /^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$|^-Infinity$/;
  const value = pattern.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(value) || value === Number.POSITIVE_INFINITY) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      `query parameter ${name} must be ${integer ? 'a version number' : 'a decimal number'}, got ${describeValue(raw).slice(0, 100)}`,
    );
  }
  return value;
}

/** A boolean query parameter: `true` or `false`; undefined when absent. */
function booleanParam(req: Request, name: string): boolean | undefined {
  const raw = req.query[name];
  if (raw === undefined) return undefined;
  if (raw === 'false') return false;
  if (raw === 'true') return true;
  throw new KwsError(
    'INVALID_ARGUMENT',
    `query parameter ${name} must be true or false, got ${describeValue(raw).slice(0, 100)}`,
  );
}

function scoreParam(req: Request): UnknownScore | undefined {
  const raw = req.query['unknownScore'];
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' && (UNKNOWN_SCORES as readonly string[]).includes(raw)) return raw as UnknownScore;
  throw new KwsError(
    'INVALID_ARGUMENT',
    `query parameter unknownScore must be one of ${UNKNOWN_SCORES.join(', ')}, got ${describeValue(raw).slice(0, 100)}`,
  );
}

/** Maps multer's and busboy's errors to our codes, with messages that name the limit or the problem. */
function uploadError(error: unknown, limits: UploadLimits): unknown {
  if (error instanceof multer.MulterError) {
    switch (error.code) {
      case 'LIMIT_FILE_SIZE': // multer's own limit is the body's (files over maxFileBytes fail alone, below)
        return new KwsError(
          'TOO_LARGE',
          `a file in the field ${describeValue(error.field === undefined ? CLIP_FIELD : error.field)} is larger than the request body limit of ${limits.maxBodyBytes} bytes`,
        );
      case 'LIMIT_FILE_COUNT':
        return new KwsError('TOO_MANY_FILES', `at most ${limits.maxFiles} files may be sent in one request`);
      case 'LIMIT_FIELD_VALUE':
        // A file part with an empty file name is a text field to busboy, and a clip overruns its size.
        if (error.field === CLIP_FIELD) return new KwsError('INVALID_ARGUMENT', MISSING_FILE_PART);
        return new KwsError('INVALID_ARGUMENT', `the multipart body exceeds a limit: ${error.message}`);
      case 'LIMIT_UNEXPECTED_FILE':
        return new KwsError(
          'INVALID_ARGUMENT',
          `unexpected file field ${describeValue(error.field)}: send clips in the multipart field "${CLIP_FIELD}"`,
        );
      default:
        return new KwsError('INVALID_ARGUMENT', `the multipart body exceeds a limit: ${error.message}`);
    }
  }
  return fromMultipartError(error);
}

/**
 * `POST /v1/clips`: multipart/form-data with one or more files in the field `clip`; optional query
 * parameters `modelVersion`, `unknownThreshold`, `silenceThresholdDbfs`, `unknownScore`
 * (`maxSoftmax` or `energy`), `unknownEnergyThreshold`, `tta` (`true`: test-time augmentation,
 * `DEFAULT_TTA`). Each file is decoded,
 * stored and classified (concurrently, so they share inference batches). Answers
 * `{ clips: [{ id, filename, prediction } | { filename, error: { code, message } }] }`: 200 when at
 * least one file was classified, else the status of the first file's error.
 */
export function clipsUploadHandler(
  service: ServingService,
  metrics: ServingMetrics,
  limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
  onUnexpected: (error: unknown) => void = () => undefined,
) {
  const upload = multer({
    storage: multer.memoryStorage(),
    defParamCharset: 'utf8',
    preservePath: false, // busboy keeps the base name, as graphql-upload's busboy does (one contract)
    limits: {
      // Files over maxFileBytes fail alone (checked per file below, as GraphQL does); the body limit bounds memory.
      fileSize: limits.maxBodyBytes,
      files: limits.maxFiles,
      fields: 16,
      fieldSize: 1024,
      parts: limits.maxFiles + 16,
      headerPairs: 200,
    },
  }).array(CLIP_FIELD, limits.maxFiles);
  return [
    uploadGate(limits, { requireMultipart: true }),
    (req: Request, _res: Response, next: NextFunction): void => {
      upload(req, _res, (error?: unknown) => next(error === undefined ? undefined : uploadError(error, limits)));
    },
    async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        const files = (req.files as Express.Multer.File[] | undefined) ?? [];
        // A part of the field with an empty file name is read as a text field (busboy): say so.
        if (files.length === 0 && (req.body as Record<string, unknown> | undefined)?.[CLIP_FIELD] !== undefined)
          throw new KwsError('INVALID_ARGUMENT', MISSING_FILE_PART);
        if (files.length === 0)
          throw new KwsError(
            'INVALID_ARGUMENT',
            `no file in the multipart field "${CLIP_FIELD}" (${UNNAMED_FILE}; a part without one is not a file)`,
          );
        // A misspelt parameter (`TTA`, `unknownthreshold`) would silently change nothing: name it instead.
        const unknown = Object.keys(req.query).filter((k) => !(CLIP_QUERY_PARAMETERS as readonly string[]).includes(k));
        if (unknown.length > 0)
          throw new KwsError(
            'INVALID_ARGUMENT',
            `unknown query parameter ${describeValue(unknown[0]).slice(0, 100)}; known: ${CLIP_QUERY_PARAMETERS.join(', ')}`,
          );
        const modelVersion = numberParam(req, 'modelVersion', true);
        const ownerKeyId = principalKeyId(principalOf(res));
        const thresholds: ThresholdOverrides = {
          unknownThreshold: numberParam(req, 'unknownThreshold', false),
          silenceThresholdDbfs: numberParam(req, 'silenceThresholdDbfs', false),
          unknownScore: scoreParam(req),
          unknownEnergyThreshold: numberParam(req, 'unknownEnergyThreshold', false),
          nonSpeechRule: booleanParam(req, 'nonSpeechRule'),
        };
        const tta = booleanParam(req, 'tta');
        service.thresholds(service.version(modelVersion), thresholds); // refuse bad parameters before any work
        // Each file succeeds or fails alone: a clip refused by the batcher (OVERLOADED, TIMEOUT) is
        // reported in its row, while the clips stored beside it are still answered with their ids.
        const settled = await Promise.allSettled(
          files.map((file) =>
            file.size > limits.maxFileBytes
              ? Promise.reject(fileTooLarge(sanitizeFilename(file.originalname), limits.maxFileBytes))
              : service.classifyUpload(file.buffer, file.originalname, {
                  modelVersion,
                  thresholds,
                  ownerKeyId,
                  ...(tta === undefined ? {} : { tta }),
                }),
          ),
        );
        const outcomes: UploadOutcome[] = settled.map((s, i) => {
          if (s.status === 'fulfilled') return s.value;
          const client = toClientError(s.reason);
          if (client.masked) onUnexpected(s.reason);
          return {
            ok: false,
            filename: sanitizeFilename(files[i]?.originalname),
            code: client.code,
            message: client.message,
          };
        });
        for (const o of outcomes) metrics.clips.inc({ outcome: o.ok ? 'ok' : o.code });
        const body = {
          clips: outcomes.map((o, i) =>
            o.ok
              ? {
                  // null on a stateless replica, which stores nothing
                  id: o.clip === null ? null : String(o.clip.id),
                  filename: o.clip?.filename ?? sanitizeFilename(files[i]?.originalname),
                  prediction: predictionJson(o.prediction),
                }
              : { filename: o.filename, error: { code: o.code, message: o.message } },
          ),
        };
        const first = outcomes[0];
        if (outcomes.every((o) => !o.ok) && first !== undefined && !first.ok) {
          if (first.code === 'OVERLOADED' || first.code === 'NOT_READY') res.setHeader('Retry-After', '1');
          res
            .status(ERROR_CODES[first.code].httpStatus)
            .json({ error: { code: first.code, message: first.message }, ...body });
          return;
        }
        res.json(body);
      } catch (error) {
        next(error);
      }
    },
  ];
}
