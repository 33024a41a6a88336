import { readFile, stat } from 'node:fs/promises';
import { decodeAudio, fitToLength } from '../audio/index.js';
import type { DecodedAudio } from '../audio/index.js';
import { KwsError, toSerializedError } from '../errors/index.js';
import type { FeatureExtractor } from '../features/index.js';

/** One line of `kws info --json` for a file that decoded. */
export interface InfoOk {
  readonly file: string;
  readonly ok: true;
  readonly container: string;
  readonly codec: string;
  /** Source sample rate, Hz. */
  readonly sourceSampleRate: number;
  readonly channels: number;
  /** Duration of the decoded mono 16 kHz signal before padding or cropping, ms. */
  readonly durationMs: number;
  /** RMS level of that signal, dBFS (rounded to 0.01 dB). */
  readonly rmsDbfs: number;
  /** Frames of the default features of the fitted 1 s clip. */
  readonly frames: number;
  /** Mel bins of the default features. */
  readonly melBins: number;
}

/** One line of `kws info --json` for a file that did not decode. */
export interface InfoError {
  readonly file: string;
  readonly ok: false;
  readonly code: string;
  readonly message: string;
}

/** Largest file `kws info` reads, bytes (the decoder's own default limit). */
const MAX_FILE_BYTES = 50 * 1024 * 1024;

async function readAudioFile(file: string): Promise<Uint8Array> {
  let size: number;
  try {
    const stats = await stat(file);
    if (!stats.isFile()) throw new KwsError('FILE_UNREADABLE', `${file} is not a regular file`);
    size = stats.size;
  } catch (error) {
    if (error instanceof KwsError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KwsError('FILE_NOT_FOUND', `${file} does not exist`);
    throw new KwsError('FILE_UNREADABLE', `${file} cannot be read (${code ?? 'unknown error'})`);
  }
  if (size > MAX_FILE_BYTES)
    throw new KwsError('TOO_LARGE', `${file} is ${size} bytes, over the ${MAX_FILE_BYTES}-byte limit`);
  try {
    return await readFile(file);
  } catch (error) {
    throw new KwsError(
      'FILE_UNREADABLE',
      `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`,
    );
  }
}

/**
 * Decodes one file and computes its default features.
 *
 * @returns The `--json` line for the file; never throws for bad input (errors become `ok: false`).
 */
export async function inspectFile(
  file: string,
  extractor: FeatureExtractor,
  maxDurationMs: number,
): Promise<InfoOk | InfoError> {
  try {
    const decoded: DecodedAudio = await decodeAudio(await readAudioFile(file), { maxDurationMs });
    extractor.compute(fitToLength(decoded.samples, extractor.config.clipSamples));
    const { info } = decoded;
    return {
      file,
      ok: true,
      container: info.container,
      codec: info.codec,
      sourceSampleRate: info.sourceSampleRateHz,
      channels: info.channels,
      durationMs: Math.round(info.durationMs * 1000) / 1000,
      rmsDbfs: Math.round(info.rmsDbfs * 100) / 100,
      frames: extractor.shape.frames,
      melBins: extractor.config.melBins,
    };
  } catch (error) {
    const { code, message } = toSerializedError(error);
    return { file, ok: false, code, message };
  }
}

/** One line of `kws info` without `--json`. */
export function formatInfoLine(result: InfoOk | InfoError): string {
  if (!result.ok) return `${result.file}: error ${result.code}: ${result.message}`;
  return `${result.file}: ${result.container}/${result.codec} ${result.sourceSampleRate} Hz ${result.channels} ch, ${result.durationMs} ms, ${result.rmsDbfs} dBFS -> features ${result.frames}x${result.melBins}`;
}
