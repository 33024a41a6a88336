import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import express from 'express';
import { describeValue, fromFsError, KwsError } from '../errors/index.js';
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

async function readClipFile(path: string): Promise<Uint8Array> {
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_MEDIA_BYTES)
      throw new KwsError('TOO_LARGE', `${path} is ${bytes.length} bytes, more than ${MAX_MEDIA_BYTES}`);
    return bytes;
  } catch (error) {
    throw error instanceof KwsError ? error : fromFsError(error, path, 'read');
  }
}

/** An uploaded clip the caller may see (its owner, or a key that sees every clip), with its bytes. */
async function uploadedClip(
  service: ServingService,
  req: Request,
  res: Response,
): Promise<{ bytes: Uint8Array; type: string }> {
  const id = String(req.params['id'] ?? '');
  const numeric = parseRecordId(id);
  const record = numeric === null ? null : service.store.get([numeric])[0];
  if (numeric === null || record === null || record === undefined || !canSeeClip(principalOf(res), record.ownerKeyId))
    throw new KwsError('NOT_FOUND', `no clip has id ${describeValue(id)}`);
  return {
    bytes: await service.store.bytes(numeric),
    type: AUDIO_MEDIA_TYPES[`.${record.container}`] ?? 'application/octet-stream',
  };
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
 * `/spectrogram` twin answering the log-mel spectrogram as JSON (see `ServingService.spectrogram`).
 *
 * @returns Routers for `/v1/audio` and `/v1/clips/:id` (mount each behind its scope).
 */
export function mediaRouters(service: ServingService, jobs: JobRunner): { audio: Router; clip: Router } {
  const audio = express.Router();
  audio.get(
    '/',
    route(async (req, res) => {
      const { path, type } = datasetClip(jobs, req);
      res.type(type).send(Buffer.from(await readClipFile(path)));
    }),
  );
  audio.get(
    '/spectrogram',
    route(async (req, res) => {
      const { path } = datasetClip(jobs, req);
      res.json(await service.spectrogram(await readClipFile(path)));
    }),
  );
  const clip = express.Router({ mergeParams: true });
  clip.get(
    '/audio',
    route(async (req, res) => {
      const { bytes, type } = await uploadedClip(service, req, res);
      res.type(type).send(Buffer.from(bytes));
    }),
  );
  clip.get(
    '/spectrogram',
    route(async (req, res) => {
      res.json(await service.spectrogram((await uploadedClip(service, req, res)).bytes));
    }),
  );
  return { audio, clip };
}
