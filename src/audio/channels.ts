import { AudioDecodeError } from '../errors/index.js';

/**
 * Averages planar channels into one mono channel (equal weights, so a full-scale signal present in
 * all channels stays full scale). A single channel is returned as is, without copying.
 *
 * @param channels Planar channel data, each `[frames]`; lengths may differ (the shortest wins).
 * @returns Mono `[frames]`.
 * @throws AudioDecodeError `EMPTY` when there is no channel.
 */
export function downmixToMono(channels: readonly Float32Array[]): Float32Array {
  const first = channels[0];
  if (first === undefined) throw new AudioDecodeError('EMPTY', 'the decoded audio has no channels');
  if (channels.length === 1) return first;
  const frames = Math.min(...channels.map((c) => c.length));
  const out = new Float32Array(frames);
  for (const channel of channels) {
    for (let i = 0; i < frames; i++) out[i] = (out[i] as number) + (channel[i] as number);
  }
  const scale = 1 / channels.length;
  for (let i = 0; i < frames; i++) out[i] = (out[i] as number) * scale;
  return out;
}

/**
 * Checks that every sample is finite, and clamps the signal to [-1, 1] in place (float WAVs and
 * resampler overshoot can exceed full scale).
 *
 * @param samples Mono `[frames]`, modified in place.
 * @returns How many samples were clamped.
 * @throws AudioDecodeError `INVALID_SAMPLES` on the first NaN or ±Infinity, naming its index.
 */
export function validateAndClamp(samples: Float32Array): number {
  let clamped = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] as number;
    if (v > 1 || v < -1) {
      if (!Number.isFinite(v)) {
        throw new AudioDecodeError('INVALID_SAMPLES', `sample ${i} is ${v}; audio must hold finite values`);
      }
      samples[i] = v > 0 ? 1 : -1;
      clamped++;
    } else if (v !== v) {
      throw new AudioDecodeError('INVALID_SAMPLES', `sample ${i} is NaN; audio must hold finite values`);
    }
  }
  return clamped;
}
