import type { Rng } from '../data/index.js';

/** Colours of generated noise. */
export type NoiseColour = 'white' | 'pink' | 'brown';

/**
 * Generates `length` samples of coloured noise scaled to an RMS of `rms`.
 * White: uniform i.i.d. Pink (1/f): Paul Kellet's "economy" three-pole filter of white noise
 * (musicdsp.org, "Filter to make pink noise from white", 1999), within 0.5 dB of 1/f above 20 Hz at
 * 16 kHz. Brown (1/f²): leaky integration of white noise (pole at 0.998, so no DC drift).
 */
export function colouredNoise(colour: NoiseColour, length: number, rms: number, rng: Rng): Float32Array {
  const out = new Float32Array(length);
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  let brown = 0;
  for (let i = 0; i < length; i++) {
    const white = rng.float() * 2 - 1;
    if (colour === 'white') {
      out[i] = white;
    } else if (colour === 'pink') {
      b0 = 0.99765 * b0 + white * 0.099046;
      b1 = 0.963 * b1 + white * 0.2965164;
      b2 = 0.57 * b2 + white * 1.0526913;
      out[i] = b0 + b1 + b2 + white * 0.1848;
    } else {
      brown = 0.998 * brown + white;
      out[i] = brown;
    }
  }
  let power = 0;
  for (let i = 0; i < length; i++) power += (out[i] as number) ** 2;
  const gain = power > 0 ? rms / Math.sqrt(power / length) : 0;
  for (let i = 0; i < length; i++) out[i] = Math.max(-1, Math.min(1, (out[i] as number) * gain));
  return out;
}
