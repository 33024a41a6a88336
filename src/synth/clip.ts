import { resampleMono } from '../audio/index.js';
import type { Rng } from '../data/index.js';
import { colouredNoise } from './noise.js';
import type { NoiseColour } from './noise.js';

/** Clip length written by the synthesizer, samples (1 s at 16 kHz). */
export const SYNTH_CLIP_SAMPLES = 16_000;
const SAMPLE_RATE_HZ = 16_000;
/** Longest utterance kept before it is sped up to fit, samples (0.98 s). */
const MAX_UTTERANCE_SAMPLES = 15_680;

/**
 * Cuts the leading and trailing silence of a synthesized utterance: keeps from 10 ms before the
 * first to 10 ms after the last sample above 2 % of the peak.
 */
export function trimSilence(samples: Float32Array, sampleRateHz: number): Float32Array {
  let peak = 0;
  for (const v of samples) peak = Math.max(peak, Math.abs(v));
  if (peak === 0) return samples.subarray(0, 0);
  const threshold = 0.02 * peak;
  let first = 0;
  while (first < samples.length && Math.abs(samples[first] as number) < threshold) first++;
  let last = samples.length - 1;
  while (last > first && Math.abs(samples[last] as number) < threshold) last--;
  const margin = Math.round(sampleRateHz / 100);
  return samples.subarray(Math.max(0, first - margin), Math.min(samples.length, last + margin + 1));
}

/**
 * An utterance as the synthesizer delivers it, made ready for placement: resampled to 16 kHz,
 * trimmed, and sped up by resampling when it is longer than 0.98 s.
 *
 * @param samples 16-bit samples at `sampleRateHz`.
 * @returns Float samples in [-1, 1] at 16 kHz, at most 15,680 long.
 */
export async function prepareUtterance(samples: Int16Array, sampleRateHz: number): Promise<Float32Array> {
  const float = Float32Array.from(samples, (v) => v / 32768);
  let speech = trimSilence(await resampleMono(float, sampleRateHz, SAMPLE_RATE_HZ), SAMPLE_RATE_HZ);
  if (speech.length > MAX_UTTERANCE_SAMPLES) {
    const fasterRate = Math.ceil((SAMPLE_RATE_HZ * speech.length) / MAX_UTTERANCE_SAMPLES);
    speech = (await resampleMono(Float32Array.from(speech), fasterRate, SAMPLE_RATE_HZ)).subarray(
      0,
      MAX_UTTERANCE_SAMPLES,
    );
  }
  return Float32Array.from(speech);
}

/** How {@link placeInClip} varies a clip. */
export interface PlacementOptions {
  /** Range of the utterance's RMS level, dBFS. Default [-30, -14]. */
  readonly levelDbfs?: readonly [number, number];
  /** Range of the noise floor's RMS level, dBFS. Default [-75, -55]. */
  readonly noiseFloorDbfs?: readonly [number, number];
}

const NOISE_COLOURS: readonly NoiseColour[] = ['white', 'pink', 'brown'];

/** Seconds of each colour in a {@link NoiseFloorBank}. */
const FLOOR_BANK_SECONDS = 4;

/**
 * Pre-generated white, pink and brown noise at RMS 1, from which each clip's noise floor is cut,
 * so that a clip costs a copy rather than 16,000 random draws.
 */
export interface NoiseFloorBank {
  readonly noises: readonly Float32Array[];
}

/** Makes a {@link NoiseFloorBank} (4 s of each colour). */
export function createNoiseFloorBank(rng: Rng): NoiseFloorBank {
  return {
    noises: NOISE_COLOURS.map((colour) => colouredNoise(colour, FLOOR_BANK_SECONDS * SAMPLE_RATE_HZ, 0.25, rng)),
  };
}

/**
 * Places an utterance at a random offset of a 1 s clip, at a random level (peak kept below 0.99),
 * over a quiet coloured-noise floor cut from `floorBank`, as a recording would have.
 *
 * @param utterance 16 kHz, at most 16000 samples (see {@link prepareUtterance}).
 * @returns `[16000]` in [-1, 1].
 */
export function placeInClip(
  utterance: Float32Array,
  rng: Rng,
  floorBank: NoiseFloorBank,
  options: PlacementOptions = {},
): Float32Array {
  const [levelLow, levelHigh] = options.levelDbfs ?? [-30, -14];
  const [floorLow, floorHigh] = options.noiseFloorDbfs ?? [-75, -55];
  const floor = rng.pick(floorBank.noises);
  const start = rng.int(0, floor.length - SYNTH_CLIP_SAMPLES);
  // The bank is at RMS 0.25; scale the cut to the drawn floor level.
  const floorGain = 10 ** (rng.uniform(floorLow, floorHigh) / 20) / 0.25;
  const clip = new Float32Array(SYNTH_CLIP_SAMPLES);
  for (let i = 0; i < SYNTH_CLIP_SAMPLES; i++) clip[i] = (floor[start + i] as number) * floorGain;
  const speech = utterance.subarray(0, SYNTH_CLIP_SAMPLES);
  let power = 0;
  let peak = 0;
  for (const v of speech) {
    power += v * v;
    peak = Math.max(peak, Math.abs(v));
  }
  if (speech.length === 0 || power === 0) return clip;
  const rms = Math.sqrt(power / speech.length);
  const gain = Math.min(10 ** (rng.uniform(levelLow, levelHigh) / 20) / rms, 0.99 / peak);
  const offset = rng.int(0, SYNTH_CLIP_SAMPLES - speech.length);
  for (let i = 0; i < speech.length; i++) {
    const j = offset + i;
    clip[j] = Math.max(-1, Math.min(1, (clip[j] as number) + gain * (speech[i] as number)));
  }
  return clip;
}
