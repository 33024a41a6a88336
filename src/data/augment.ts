import { fitToLength, resampleMono } from '../audio/index.js';
import type { ResampleQuality } from '../audio/index.js';
import { describeValue, KwsError } from '../errors/index.js';
import { bandLimit, reverberate, roomImpulseResponse } from './channel.js';
import type { Rng } from './rng.js';

/**
 * Training-time augmentation, serializable so that a parameter search can tune it. Each transform
 * keeps the clip at `clipSamples`. Defaults follow TensorFlow's speech_commands `train.py` where it
 * has one (time shift 100 ms, background noise on 80 % of clips) and common KWS practice otherwise.
 */
export interface AugmentConfig {
  /** Largest time shift either way, ms; the clip moves by a uniform amount in ±this, zero-filled. Default 100. */
  readonly timeShiftMs: number;
  /** Gain range, dB, drawn uniformly. Default [-6, 6]. */
  readonly gainDb: readonly [number, number];
  /** Probability of mixing a background-noise segment into a clip. Default 0.8. */
  readonly noiseProbability: number;
  /** Signal-to-noise ratio range of that mix, dB (signal power over noise power, over the clip). Default [5, 25]. */
  readonly noiseSnrDb: readonly [number, number];
  /** Probability of a speed change (tempo and pitch together, by resampling: see `speedResampler`). Default 0.5. */
  readonly speedProbability: number;
  /** Speed factor range; 1.1 is 10 % faster and higher. Quantised to steps of 0.01. Default [0.9, 1.1]. */
  readonly speedRange: readonly [number, number];
  /**
   * The speed change's resampler (libsamplerate): `linear` (`SRC_LINEAR`, 0.5 ms a clip here) or
   * `sinc` (`SRC_SINC_FASTEST`, 2 ms, band-limited). Linear interpolation leaves images about
   * 1.6 kHz from each component at speed 0.9 or 1.1 (measured with tones: −47 dBc for 1 kHz, −25 dBc
   * for 3 kHz, −14 dBc for 5 kHz; the sinc converter −64 dBc or less), a distortion like a cheap
   * codec's, which augmentation tolerates; sinc made the speed change the input pipeline's largest
   * cost. Default `linear`.
   */
  readonly speedResampler: SpeedResampler;
  /**
   * SpecAugment (Park et al. 2019, "SpecAugment: A Simple Data Augmentation Method for Automatic
   * Speech Recognition"): how many time masks to draw on the features of a clip. Default 0 (off).
   */
  readonly timeMasks: number;
  /** Widest time mask, in feature frames (10 ms hops by default); each width is uniform in [0, this]. Default 10. */
  readonly timeMaskFrames: number;
  /** How many frequency masks to draw (SpecAugment). Default 0 (off). */
  readonly freqMasks: number;
  /** Widest frequency mask, in mel bins; each width is uniform in [0, this]. Default 5. */
  readonly freqMaskBins: number;
  /**
   * Probability of playing a clip in a simulated room (`roomImpulseResponse`: Polack's statistical
   * model, a direct path and an exponentially decaying noise tail). Default 0 (off).
   */
  readonly reverbProbability: number;
  /** Reverberation time range, ms (RT60, drawn uniformly). Default [150, 700]: small rooms to halls. */
  readonly reverbRt60Ms: readonly [number, number];
  /** Direct-to-reverberant ratio range, dB (drawn uniformly). Default [0, 15]: far to near talkers. */
  readonly reverbDrrDb: readonly [number, number];
  /** Probability of a band-limited channel (`bandLimit`: telephone- or codec-like). Default 0 (off). */
  readonly bandLimitProbability: number;
  /** Upper band edge range, Hz (drawn uniformly, rounded to 100 Hz). Default [3400, 7000]. */
  readonly bandLimitHz: readonly [number, number];
  /**
   * Probability of vocal tract length perturbation (Jaitly and Hinton 2013): the mel filterbank is
   * warped by a factor drawn from {@link vtlpRange} (see `vtlpWarpHz`), moving formants without
   * changing pitch or tempo. Applied where features are computed. Default 0 (off).
   */
  readonly vtlpProbability: number;
  /** VTLP warp factor range; quantised to steps of 0.01. Default [0.9, 1.1] (the paper's range). */
  readonly vtlpRange: readonly [number, number];
}

/**
 * The resamplers a speed change can use (`AugmentConfig.speedResampler`): `linear` is libsamplerate's
 * linear interpolator (`SRC_LINEAR`), `sinc` its fastest band-limited sinc converter
 * (`SRC_SINC_FASTEST`).
 */
export const SPEED_RESAMPLERS = { linear: 'linear', sinc: 'fastest' } as const satisfies Record<
  string,
  ResampleQuality
>;

/** A speed-change resampler's name (a key of {@link SPEED_RESAMPLERS}). */
export type SpeedResampler = keyof typeof SPEED_RESAMPLERS;

/** Default augmentation. */
export const DEFAULT_AUGMENT_CONFIG: AugmentConfig = Object.freeze({
  timeShiftMs: 100,
  gainDb: [-6, 6] as const,
  noiseProbability: 0.8,
  noiseSnrDb: [5, 25] as const,
  speedProbability: 0.5,
  speedRange: [0.9, 1.1] as const,
  speedResampler: 'linear',
  timeMasks: 0,
  timeMaskFrames: 10,
  freqMasks: 0,
  freqMaskBins: 5,
  reverbProbability: 0,
  reverbRt60Ms: [150, 700] as const,
  reverbDrrDb: [0, 15] as const,
  bandLimitProbability: 0,
  bandLimitHz: [3_400, 7_000] as const,
  vtlpProbability: 0,
  vtlpRange: [0.9, 1.1] as const,
});

/** No augmentation at all (validation, testing, serving). */
export const NO_AUGMENT: AugmentConfig = Object.freeze({
  timeShiftMs: 0,
  gainDb: [0, 0] as const,
  noiseProbability: 0,
  noiseSnrDb: [0, 0] as const,
  speedProbability: 0,
  speedRange: [1, 1] as const,
  speedResampler: 'linear',
  timeMasks: 0,
  timeMaskFrames: 0,
  freqMasks: 0,
  freqMaskBins: 0,
  reverbProbability: 0,
  reverbRt60Ms: [150, 150] as const,
  reverbDrrDb: [0, 0] as const,
  bandLimitProbability: 0,
  bandLimitHz: [8_000, 8_000] as const,
  vtlpProbability: 0,
  vtlpRange: [1, 1] as const,
});

function range(name: string, value: unknown, min: number, max: number): readonly [number, number] {
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    !value.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max) ||
    value[0] > value[1]
  ) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      `AugmentConfig.${name} must be [low, high] with ${min} ≤ low ≤ high ≤ ${max}, got ${describeValue(value)}`,
    );
  }
  return [value[0] as number, value[1] as number];
}

function probability(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      `AugmentConfig.${name} must be a probability from 0 to 1, got ${describeValue(value)}`,
    );
  }
  return value;
}

function speedResampler(value: unknown): SpeedResampler {
  if (typeof value !== 'string' || !Object.hasOwn(SPEED_RESAMPLERS, value))
    throw new KwsError(
      'INVALID_ARGUMENT',
      `AugmentConfig.speedResampler must be one of ${Object.keys(SPEED_RESAMPLERS).join(', ')}, got ${describeValue(value)}`,
    );
  return value as SpeedResampler;
}

function count(name: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      `AugmentConfig.${name} must be an integer from 0 to ${max}, got ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * Merges a partial config over {@link DEFAULT_AUGMENT_CONFIG} and checks every field.
 *
 * @throws KwsError `INVALID_ARGUMENT` naming the field and the bad value.
 */
export function resolveAugmentConfig(partial: Partial<AugmentConfig> = {}): AugmentConfig {
  const merged = { ...DEFAULT_AUGMENT_CONFIG, ...partial };
  const unknownField = Object.keys(partial).find((k) => !(k in DEFAULT_AUGMENT_CONFIG));
  if (unknownField !== undefined)
    throw new KwsError('INVALID_ARGUMENT', `AugmentConfig.${unknownField} is not a known field`);
  if (typeof merged.timeShiftMs !== 'number' || !(merged.timeShiftMs >= 0 && merged.timeShiftMs <= 500)) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      `AugmentConfig.timeShiftMs must be from 0 to 500 ms, got ${describeValue(merged.timeShiftMs)}`,
    );
  }
  return Object.freeze({
    timeShiftMs: merged.timeShiftMs,
    gainDb: range('gainDb', merged.gainDb, -60, 40),
    noiseProbability: probability('noiseProbability', merged.noiseProbability),
    noiseSnrDb: range('noiseSnrDb', merged.noiseSnrDb, -20, 80),
    speedProbability: probability('speedProbability', merged.speedProbability),
    speedRange: range('speedRange', merged.speedRange, 0.5, 2),
    speedResampler: speedResampler(merged.speedResampler),
    timeMasks: count('timeMasks', merged.timeMasks, 10),
    timeMaskFrames: count('timeMaskFrames', merged.timeMaskFrames, 100),
    freqMasks: count('freqMasks', merged.freqMasks, 10),
    freqMaskBins: count('freqMaskBins', merged.freqMaskBins, 64),
    reverbProbability: probability('reverbProbability', merged.reverbProbability),
    reverbRt60Ms: range('reverbRt60Ms', merged.reverbRt60Ms, 10, 3_000),
    reverbDrrDb: range('reverbDrrDb', merged.reverbDrrDb, -20, 40),
    bandLimitProbability: probability('bandLimitProbability', merged.bandLimitProbability),
    bandLimitHz: range('bandLimitHz', merged.bandLimitHz, 1_000, 96_000),
    vtlpProbability: probability('vtlpProbability', merged.vtlpProbability),
    vtlpRange: range('vtlpRange', merged.vtlpRange, 0.7, 1.4),
  });
}

/** Mean power (mean square) of a signal. */
export function meanPower(samples: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += (samples[i] as number) ** 2;
  return samples.length === 0 ? 0 : sum / samples.length;
}

/**
 * Shifts a clip in time by `shiftSamples` (positive: later), filling with zeros, keeping its length.
 *
 * @param clip `[n]`.
 * @returns A new `[n]`.
 */
export function timeShift(clip: Float32Array, shiftSamples: number): Float32Array {
  const out = new Float32Array(clip.length);
  if (shiftSamples >= 0) out.set(clip.subarray(0, Math.max(0, clip.length - shiftSamples)), shiftSamples);
  else out.set(clip.subarray(-shiftSamples));
  return out;
}

/**
 * Adds `noise` to `clip` in place at a signal-to-noise ratio of `snrDb`: the noise is scaled so that
 * 10·log10(P(clip) / P(scaled noise)) = snrDb, with P the mean power over the clip. A silent clip
 * gets no noise (its SNR is undefined).
 *
 * @param clip `[n]`, modified in place.
 * @param noise `[n]` noise segment.
 * @returns The gain applied to the noise.
 */
export function mixAtSnr(clip: Float32Array, noise: Float32Array, snrDb: number): number {
  const signalPower = meanPower(clip);
  const noisePower = meanPower(noise);
  if (signalPower === 0 || noisePower === 0) return 0;
  const gain = Math.sqrt(signalPower / (noisePower * 10 ** (snrDb / 10)));
  for (let i = 0; i < clip.length; i++) clip[i] = (clip[i] as number) + gain * (noise[i] as number);
  return gain;
}

/** A random segment of `length` samples from one of the noise recordings. */
export function noiseSegment(noises: readonly Float32Array[], length: number, rng: Rng): Float32Array {
  const usable = noises.filter((n) => n.length >= length);
  if (usable.length === 0) return new Float32Array(length);
  const noise = rng.pick(usable);
  const start = rng.int(0, noise.length - length);
  return noise.slice(start, start + length);
}

/** Share of `silence` clips that are digital silence rather than background noise. */
export const SILENCE_ZERO_SHARE = 0.1;

/**
 * RMS level range of `silence` clips cut from background noise, dBFS: the v0.02 test set's
 * `_silence_` clips run from near digital silence to loud white noise (shared/data/real/SOURCES.md).
 */
export const SILENCE_LEVEL_DBFS: readonly [number, number] = [-80, -20];

/**
 * One `silence` clip: digital silence with probability {@link SILENCE_ZERO_SHARE} (or when there is
 * no noise), else a random background-noise segment scaled to a random level in {@link SILENCE_LEVEL_DBFS}.
 *
 * @returns `[length]` in [-1, 1].
 */
export function silenceClip(noises: readonly Float32Array[], length: number, rng: Rng): Float32Array {
  if (noises.length === 0 || rng.chance(SILENCE_ZERO_SHARE)) return new Float32Array(length);
  const segment = noiseSegment(noises, length, rng);
  const power = meanPower(segment);
  if (power === 0) return segment;
  const gain = 10 ** (rng.uniform(SILENCE_LEVEL_DBFS[0], SILENCE_LEVEL_DBFS[1]) / 20) / Math.sqrt(power);
  for (let i = 0; i < segment.length; i++) segment[i] = Math.max(-1, Math.min(1, (segment[i] as number) * gain));
  return segment;
}

/**
 * The VTLP warp factor for the next clip's features: 1 without a draw when VTLP is off, else 1 or,
 * with probability `vtlpProbability`, a factor uniform in `vtlpRange` rounded to 0.01 (so a trainer
 * keeps one warped filterbank per factor).
 */
export function vtlpFactor(config: AugmentConfig, rng: Rng): number {
  if (config.vtlpProbability === 0 || !rng.chance(config.vtlpProbability)) return 1;
  return Math.round(rng.uniform(config.vtlpRange[0], config.vtlpRange[1]) * 100) / 100;
}

/**
 * Applies one random draw of the augmentation to a clip: speed change, a simulated room, time
 * shift, gain, background noise at a random SNR, a band-limited channel, then clamps to [-1, 1] and
 * fits back to the clip's length. A transform whose probability is 0 draws nothing from `rng`, so
 * turning the room or the channel on leaves every other draw of a config without them as it was.
 *
 * @param clip `[clipSamples]` at `sampleRateHz`.
 * @param noises Decoded background-noise recordings at the same rate.
 * @returns A new `[clipSamples]`.
 */
export async function augmentClip(
  clip: Float32Array,
  config: AugmentConfig,
  noises: readonly Float32Array[],
  rng: Rng,
  sampleRateHz = 16_000,
): Promise<Float32Array> {
  const length = clip.length;
  let out = clip;
  if (config.speedProbability > 0 && rng.chance(config.speedProbability)) {
    const speed = Math.round(rng.uniform(config.speedRange[0], config.speedRange[1]) * 100) / 100;
    if (speed !== 1)
      out = fitToLength(
        await resampleMono(
          out,
          Math.round(sampleRateHz * speed),
          sampleRateHz,
          SPEED_RESAMPLERS[config.speedResampler],
        ),
        length,
      );
  }
  if (config.reverbProbability > 0 && rng.chance(config.reverbProbability)) {
    const rt60 = rng.uniform(config.reverbRt60Ms[0], config.reverbRt60Ms[1]);
    const drr = rng.uniform(config.reverbDrrDb[0], config.reverbDrrDb[1]);
    out = reverberate(out, roomImpulseResponse(rt60, drr, sampleRateHz, rng));
  }
  const maxShift = Math.round((config.timeShiftMs * sampleRateHz) / 1000);
  out = timeShift(out, maxShift > 0 ? rng.int(-maxShift, maxShift) : 0);
  const gain = 10 ** (rng.uniform(config.gainDb[0], config.gainDb[1]) / 20);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * gain;
  if (config.noiseProbability > 0 && noises.length > 0 && rng.chance(config.noiseProbability)) {
    mixAtSnr(out, noiseSegment(noises, length, rng), rng.uniform(config.noiseSnrDb[0], config.noiseSnrDb[1]));
  }
  if (config.bandLimitProbability > 0 && rng.chance(config.bandLimitProbability)) {
    const cutoff = Math.round(rng.uniform(config.bandLimitHz[0], config.bandLimitHz[1]) / 100) * 100;
    out = await bandLimit(out, cutoff, sampleRateHz);
  }
  for (let i = 0; i < out.length; i++) out[i] = Math.max(-1, Math.min(1, out[i] as number));
  return out;
}

/**
 * SpecAugment's time and frequency masking (Park et al. 2019) on one clip's features, in place: draws
 * `timeMasks` masks of uniform width in [0, `timeMaskFrames`] frames and `freqMasks` masks of uniform
 * width in [0, `freqMaskBins`] bins at uniform positions, and sets the masked cells to the clip's mean
 * feature value (so a mask adds no level change; the paper's zero is the mean of normalized features).
 * Time warping, the paper's third transform, is left out: the paper found it the least useful.
 *
 * @param features `[frames, bins]` row-major, from `offset`.
 */
export function maskFeatures(
  features: Float32Array,
  offset: number,
  frames: number,
  bins: number,
  config: AugmentConfig,
  rng: Rng,
): void {
  if (config.timeMasks === 0 && config.freqMasks === 0) return;
  const size = frames * bins;
  let sum = 0;
  for (let i = offset; i < offset + size; i++) sum += features[i] as number;
  const mean = sum / size;
  for (let m = 0; m < config.timeMasks; m++) {
    const width = rng.int(0, Math.min(config.timeMaskFrames, frames));
    const start = rng.int(0, frames - width);
    features.fill(mean, offset + start * bins, offset + (start + width) * bins);
  }
  for (let m = 0; m < config.freqMasks; m++) {
    const width = rng.int(0, Math.min(config.freqMaskBins, bins));
    const start = rng.int(0, bins - width);
    for (let t = 0; t < frames; t++) features.fill(mean, offset + t * bins + start, offset + t * bins + start + width);
  }
}
