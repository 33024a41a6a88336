import { labelIndex } from '../labels/index.js';
import { readRegularFile } from '../data/index.js';
import type { Example, ExampleLoader } from '../data/index.js';
import { decodeAudio, fitToLength, rmsDbfs } from '../audio/index.js';
import { AudioDecodeError } from '../errors/index.js';
import { signalShape } from '../features/index.js';
import type { SignalShape } from '../features/index.js';

/**
 * The fitted clips of a split, decoded once and kept as 16-bit integers (half the memory of
 * float32; the sources are 16-bit recordings), with their labels and levels.
 */
export interface ClipSet {
  /** `[n · clipSamples]` 16-bit samples, clip after clip (on a SharedArrayBuffer when made by `loadClipSet`). */
  readonly samples: Int16Array;
  readonly clipSamples: number;
  /** `[n]` label indices. */
  readonly labels: Int32Array;
  /** `[n]` RMS level of each clip, dBFS. */
  readonly rmsDbfs: Float32Array;
  /** `[n]` identity of each clip: its relative path, or `silence/<split>/<index>`. */
  readonly ids: readonly string[];
  readonly size: number;
}

/** Clip `i` of a {@link ClipSet} as float samples in [-1, 1], into `out` when given. */
export function clipAt(
  set: Pick<ClipSet, 'samples' | 'clipSamples'>,
  i: number,
  out: Float32Array = new Float32Array(set.clipSamples),
): Float32Array {
  const start = i * set.clipSamples;
  for (let j = 0; j < set.clipSamples; j++) out[j] = (set.samples[start + j] as number) / 32767;
  return out;
}

/**
 * The `SignalShape` of clip `i` of a {@link ClipSet} (what the non-speech rule of `decide` reads),
 * computed from its samples at `sampleRateHz`.
 */
export function clipShapeAt(
  set: Pick<ClipSet, 'samples' | 'clipSamples'>,
  i: number,
  sampleRateHz: number,
): SignalShape {
  return signalShape(clipAt(set, i), sampleRateHz);
}

/**
 * Decodes and fits every example of a split (no augmentation).
 *
 * @param onProgress Called after each clip with (done, total).
 * @throws AudioDecodeError when a clip does not decode: a dataset must be clean to train on.
 */
export async function loadClipSet(
  examples: readonly Example[],
  loader: ExampleLoader,
  clipSamples: number,
  onProgress?: (done: number, total: number) => void,
): Promise<ClipSet> {
  // Shared memory, so that a training run's batch worker thread reads the clips without a copy.
  const samples = new Int16Array(new SharedArrayBuffer(examples.length * clipSamples * Int16Array.BYTES_PER_ELEMENT));
  const labels = new Int32Array(examples.length);
  const levels = new Float32Array(examples.length);
  const ids: string[] = [];
  for (let i = 0; i < examples.length; i++) {
    const example = examples[i] as Example;
    let clip: Float32Array;
    try {
      clip = await loader.load(example);
    } catch (error) {
      // Name the clip: a dataset has thousands, and the decoder's message alone does not say which.
      if (example.kind === 'word' && error instanceof AudioDecodeError)
        throw new AudioDecodeError(error.code, `${example.relativePath}: ${error.message}`, { cause: error });
      throw error;
    }
    for (let j = 0; j < clipSamples; j++)
      samples[i * clipSamples + j] = Math.round(Math.max(-1, Math.min(1, clip[j] as number)) * 32767);
    labels[i] = labelIndex(example.label);
    levels[i] = rmsDbfs(clip);
    ids.push(example.kind === 'word' ? example.relativePath : `silence/${example.split}/${example.index}`);
    onProgress?.(i + 1, examples.length);
  }
  return { samples, clipSamples, labels, rmsDbfs: levels, ids, size: examples.length };
}

/**
 * Reads, decodes and fits one clip file to `clipSamples` samples (mono, 16 kHz), naming it in any
 * error: `name` (a path relative to the folder being read) prefixes a decoder message.
 *
 * @returns `[clipSamples]` samples in [-1, 1].
 * @throws KwsError `FILE_NOT_FOUND` / `FILE_UNREADABLE` for a file that cannot be read;
 *   AudioDecodeError (its code, the message prefixed with `name`) for bytes that do not decode.
 */
export async function loadClipFile(path: string, name: string, clipSamples: number): Promise<Float32Array> {
  const bytes: Uint8Array = await readRegularFile(path);
  try {
    return fitToLength((await decodeAudio(bytes)).samples, clipSamples);
  } catch (error) {
    if (error instanceof AudioDecodeError)
      throw new AudioDecodeError(error.code, `${name}: ${error.message}`, { cause: error });
    throw error;
  }
}
