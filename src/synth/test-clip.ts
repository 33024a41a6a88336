import { fitToLength, resampleMono } from '../audio/index.js';
import { mixAtSnr, noiseSegment, silenceClip } from '../data/index.js';
import type { Rng } from '../data/index.js';
import { placeInClip, SYNTH_CLIP_SAMPLES } from './clip.js';
import type { NoiseFloorBank } from './clip.js';

/** Share of test clips with background noise mixed in, and its SNR range (dB). */
const NOISY_SHARE = 0.6;
const TEST_SNR_DB: readonly [number, number] = [0, 30];

/**
 * One Kaggle-style test clip. A word clip is a pooled utterance (already at one of several speeds,
 * see `speedVariants`) at a random offset and level, with background noise at 0-30 dB SNR on 60 % of
 * clips; a silence clip (`utterance` null) is digital silence or a background-noise cut at -80 to -20 dBFS.
 *
 * @returns `[16000]` in [-1, 1].
 */
export function makeTestClip(
  utterance: Float32Array | null,
  noises: readonly Float32Array[],
  floorBank: NoiseFloorBank,
  rng: Rng,
): Float32Array {
  if (utterance === null) return silenceClip(noises, SYNTH_CLIP_SAMPLES, rng);
  const clip = placeInClip(
    utterance.length > SYNTH_CLIP_SAMPLES ? fitToLength(utterance, SYNTH_CLIP_SAMPLES) : utterance,
    rng,
    floorBank,
  );
  if (noises.length > 0 && rng.chance(NOISY_SHARE)) {
    mixAtSnr(clip, noiseSegment(noises, SYNTH_CLIP_SAMPLES, rng), rng.uniform(TEST_SNR_DB[0], TEST_SNR_DB[1]));
    for (let i = 0; i < clip.length; i++) clip[i] = Math.max(-1, Math.min(1, clip[i] as number));
  }
  return clip;
}

/** Speeds of the pooled test utterances (tempo and pitch together). */
export const TEST_SPEEDS: readonly number[] = [0.9, 0.95, 1, 1.05, 1.1];

/**
 * An utterance at each of {@link TEST_SPEEDS}, by resampling with libsamplerate's fastest sinc
 * converter: 1.1 plays 10 % faster and higher.
 */
export async function speedVariants(utterance: Float32Array): Promise<Float32Array[]> {
  const variants: Float32Array[] = [];
  for (const speed of TEST_SPEEDS)
    variants.push(
      speed === 1 ? utterance : await resampleMono(utterance, Math.round(16_000 * speed), 16_000, 'fastest'),
    );
  return variants;
}
