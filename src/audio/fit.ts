import { KwsError } from '../errors/index.js';

/** How {@link fitToLength} chooses which part of a longer signal to keep. */
export type CropMode = 'loudest' | 'start';

/** Options for {@link fitToLength}. */
export interface FitOptions {
  /**
   * `loudest` (default) keeps the window of `length` samples with the most energy, searched in
   * 10 ms steps (160 samples at 16 kHz), as Speech Commands' own `extract_loudest_section` tool cut
   * its clips; `start` keeps the first `length` samples.
   */
  readonly crop?: CropMode;
  /** Step of the loudest-window search, samples. Default 160 (10 ms at 16 kHz). */
  readonly searchStepSamples?: number;
}

/**
 * Fits a signal to exactly `length` samples, the fixed input length of the models.
 * Shorter input is padded with zeros at the end (as TensorFlow's speech_commands `input_data.py`
 * pads clips shorter than 1 s); longer input is cropped by {@link FitOptions.crop}.
 *
 * @param samples Mono `[frames]`.
 * @param length Target length in samples, e.g. 16000 for 1 s at 16 kHz.
 * @returns `[length]`: the input itself when it already has that length, else a new array.
 * @throws KwsError `INVALID_ARGUMENT` when `length` is not a positive integer.
 */
export function fitToLength(samples: Float32Array, length: number, options: FitOptions = {}): Float32Array {
  if (!Number.isInteger(length) || length <= 0) {
    throw new KwsError('INVALID_ARGUMENT', `fitToLength: length must be a positive integer, got ${length}`);
  }
  if (samples.length === length) return samples;
  const out = new Float32Array(length);
  if (samples.length < length) {
    out.set(samples);
    return out;
  }
  const start = options.crop === 'start' ? 0 : loudestWindowStart(samples, length, options.searchStepSamples ?? 160);
  out.set(samples.subarray(start, start + length));
  return out;
}

/**
 * Start index of the `length`-sample window with the highest energy (sum of squares), among starts
 * `0, step, 2·step, ...` and the last possible start. Ties (within a relative 1e-9, float rounding) keep the earliest window.
 */
export function loudestWindowStart(samples: Float32Array, length: number, step: number): number {
  const lastStart = samples.length - length;
  if (lastStart <= 0) return 0;
  if (!Number.isInteger(step) || step <= 0) {
    throw new KwsError('INVALID_ARGUMENT', `searchStepSamples must be a positive integer, got ${step}`);
  }
  // Prefix sums of squares make each window's energy O(1).
  const prefix = new Float64Array(samples.length + 1);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] as number;
    prefix[i + 1] = (prefix[i] as number) + v * v;
  }
  let best = 0;
  let bestEnergy = -1;
  const consider = (start: number): void => {
    const energy = (prefix[start + length] as number) - (prefix[start] as number);
    if (energy > bestEnergy * (1 + 1e-9) + 1e-12) {
      bestEnergy = energy;
      best = start;
    }
  };
  for (let start = 0; start <= lastStart; start += step) consider(start);
  if (lastStart % step !== 0) consider(lastStart);
  return best;
}
