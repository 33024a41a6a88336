import { extname } from 'node:path';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import express from 'express';
import pLimit from 'p-limit';
import { readRegularFile } from '../data/index.js';
import { describeValue, KwsError } from '../errors/index.js';
import type { JobRunner } from '../jobs/index.js';
import { parseRecordId } from '../serving/index.js';
import type { ServingService } from '../serving/index.js';
import { canSeeClip } from '../storage/index.js';
import { principalOf } from './authenticate.js';

/** File extensions `GET /v1/audio` serves, with their media types; anything else is refused. */
export const AUDIO_MEDIA_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.wav': 'audio/wav',
  '.flac': 'audio/flac',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.webm': 'audio/webm',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
});

/**
 * Spectrograms computed at once, and most waiting for a turn: they run in the engine threads beside
 * live uploads, so a page of clip cards (or a flood of requests) must not queue work there without
 * bound. A request beyond the waiting room gets 503 `OVERLOADED`.
 */
export const SPECTROGRAM_LIMITS = Object.freeze({ concurrency: 2, maxWaiting: 64 });

/**
 * Runs work at most `concurrency` at a time (p-limit), with at most `maxWaiting` more waiting.
 *
 * @throws KwsError `OVERLOADED` (from the returned function, before the work starts) when the
 *   waiting room is full.
 */
export function boundedLimit(limits: {
  concurrency: number;
  maxWaiting: number;
}): <T>(work: () => Promise<T>) => Promise<T> {
  const limit = pLimit(limits.concurrency);
  return <T>(work: () => Promise<T>): Promise<T> => {
    if (limit.activeCount >= limits.concurrency && limit.pendingCount >= limits.maxWaiting)
      return Promise.reject(
        new KwsError('OVERLOADED', `${limit.pendingCount} spectrograms are already waiting; try again shortly`),
      );
    return limit(work);
  };
}

/** Largest file `GET /v1/audio` reads, bytes: dataset clips are about 32 KB. */
export const MAX_MEDIA_BYTES = 20 * 1024 * 1024;

/** A dataset clip the server may read: inside an allowed root, links resolved, with an audio extension. */
function datasetClip(jobs: JobRunner, req: Request): { path: string; type: string } {
  const raw = req.query['path'];
  if (typeof raw !== 'string' || raw === '')
    throw new KwsError('INVALID_ARGUMENT', `path must be one absolute file path, got ${describeValue(raw)}`);
  const path = jobs.allowedFile(raw);
  const type = AUDIO_MEDIA_TYPES[extname(path).toLowerCase()];
  if (type === undefined)
    throw new KwsError(
      'UNSUPPORTED_FORMAT',
      `${describeValue(raw)} is not an audio file this route serves (${Object.keys(AUDIO_MEDIA_TYPES).join(', ')})`,
    );
  return { path, type };
}

/**
 * An uploaded clip the caller may see (its owner, or a key that sees every clip), with its bytes.
 *
 * @throws KwsError `NOT_FOUND` for an id that is not a clip the caller may see, or whose file is gone
 *   (without the server's path in the message).
 */
async function uploadedClip(
  service: ServingService,
  req: Request,
  res: Response,
): Promise<{ bytes: Buffer; type: string }> {
  const id = String(req.params['id'] ?? '');
  const numeric = parseRecordId(id);
  const record = numeric === null ? null : service.store.get([numeric])[0];
  if (numeric === null || record === null || record === undefined || !canSeeClip(principalOf(res), record.ownerKeyId))
    throw new KwsError('NOT_FOUND', `no clip has id ${describeValue(id)}`);
  let bytes: Uint8Array;
  try {
    bytes = await service.store.bytes(numeric);
  } catch (error) {
    if (error instanceof KwsError && error.code === 'FILE_NOT_FOUND')
      throw new KwsError('NOT_FOUND', `clip ${numeric}'s audio is no longer stored`);
    throw error;
  }
  return {
    bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    type: AUDIO_MEDIA_TYPES[`.${record.container}`] ?? 'application/octet-stream',
  };
}

/**
 * Headers of every media answer: not to be embedded by other sites (`Cross-Origin-Resource-Policy`,
 * so a page elsewhere cannot probe or play the server's files through `<audio src>`), not sniffed,
 * not cached (they follow the caller's key).
 */
function mediaHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'private, no-store');
  next();
}

const route =
  (handler: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req: Request, res: Response, next: NextFunction) => {
    handler(req, res).catch(next);
  };

/**
 * Audio for the dashboard, behind the same keys as everything else (`auth` is applied by the
 * caller): `GET /v1/audio?path=<absolute file>` (a dataset or test clip inside the folders the server
 * may read, links resolved, audio extensions only, `read` scope) and `GET /v1/clips/:id/audio` (an
 * uploaded clip, `predict` scope, only its owner's key or one that sees every clip); each with a
 * `/spectrogram` twin answering the log-mel spectrogram as JSON (see `ServingService.spectrogram`),
 * at most {@link SPECTROGRAM_LIMITS} at a time, the file read only once its turn comes.
 *
 * @returns Routers for `/v1/audio` and `/v1/clips/:id` (mount each behind its scope).
 */
export function mediaRouters(service: ServingService, jobs: JobRunner): { audio: Router; clip: Router } {
  const slot = boundedLimit(SPECTROGRAM_LIMITS);
  const audio = express.Router();
  audio.use(mediaHeaders);
  audio.get(
    '/',
    route(async (req, res) => {
      const { path, type } = datasetClip(jobs, req);
      const bytes = await readRegularFile(path, MAX_MEDIA_BYTES);
      res.type(type).send(bytes);
    }),
  );
  audio.get(
    '/spectrogram',
    route(async (req, res) => {
      const { path } = datasetClip(jobs, req);
      res.json(await slot(async () => service.spectrogram(await readRegularFile(path, MAX_MEDIA_BYTES))));
    }),
  );
  const clip = express.Router({ mergeParams: true });
  clip.use(mediaHeaders);
  clip.get(
    '/audio',
    route(async (req, res) => {
      const { bytes, type } = await uploadedClip(service, req, res);
      res.type(type).send(bytes);
    }),
  );
  clip.get(
    '/spectrogram',
    route(async (req, res) => {
      const { bytes } = await uploadedClip(service, req, res); // an upload: at most the upload limit (5 MiB)
      res.json(await slot(() => service.spectrogram(bytes)));
    }),
  );
  return { audio, clip };
}
