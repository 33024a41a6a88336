import { resampleMono } from '../audio/index.js';
import { KwsError } from '../errors/index.js';
import { convolve } from '../features/index.js';
import type { Rng } from './rng.js';

/** Decay of a room's energy over its reverberation time: 60 dB (Sabine's RT60). */
const RT60_DECAY_DB = 60;

/**
 * A simulated room impulse response after Polack's statistical model (J.-D. Polack, 1993, "Playing
 * billiards in the concert hall: the mathematical foundations of geometrical room acoustics",
 * Applied Acoustics 38): a unit direct path at t = 0, then after `predelayMs` a late tail of
 * Gaussian noise whose envelope decays by 60 dB over `rt60Ms` (amplitude exp(−3·ln 10 · t / RT60)),
 * cut where it has decayed by 60 dB and scaled so that the direct-to-reverberant energy ratio is
 * exactly `drrDb`.
 *
 * @param rt60Ms Reverberation time, ms (> 0).
 * @param drrDb Direct-to-reverberant ratio, dB (direct-path energy over tail energy).
 * @param sampleRateHz Sample rate, Hz.
 * @param predelayMs Gap between the direct path and the tail, ms (default 5).
 * @returns `[1 + predelay + tail]` samples; index 0 is the direct path (1).
 * @throws KwsError `INVALID_ARGUMENT` for a non-positive or non-finite reverberation time.
 */
export function roomImpulseResponse(
  rt60Ms: number,
  drrDb: number,
  sampleRateHz: number,
  rng: Rng,
  predelayMs = 5,
): Float32Array {
  if (!(rt60Ms > 0) || !Number.isFinite(rt60Ms) || !Number.isFinite(drrDb))
    throw new KwsError('INVALID_ARGUMENT', `a room needs RT60 > 0 ms and a finite DRR, got ${rt60Ms} ms, ${drrDb} dB`);
  const predelay = Math.round((predelayMs * sampleRateHz) / 1000);
  const tailLength = Math.max(1, Math.round((rt60Ms * sampleRateHz) / 1000));
  const ir = new Float32Array(1 + predelay + tailLength);
  const decayPerSample = (RT60_DECAY_DB / 20) * Math.LN10 * (1000 / (rt60Ms * sampleRateHz));
  let energy = 0;
  for (let n = 0; n < tailLength; n++) {
    const v = rng.normal() * Math.exp(-decayPerSample * n);
    ir[1 + predelay + n] = v;
    energy += v * v;
  }
  const gain = energy > 0 ? Math.sqrt(10 ** (-drrDb / 10) / energy) : 0;
  for (let n = 1 + predelay; n < ir.length; n++) ir[n] = (ir[n] as number) * gain;
  ir[0] = 1;
  return ir;
}

/**
 * A clip as heard in a room: convolved with `ir` (FFT convolution, truncated to the clip's length)
 * and scaled back to the clip's RMS level, so reverberation changes the sound, not the loudness.
 *
 * @param clip `[n]`.
 * @param ir `[m]` impulse response (see {@link roomImpulseResponse}).
 * @returns A new `[n]`.
 */
export function reverberate(clip: Float32Array, ir: Float32Array): Float32Array {
  const out = convolve(clip, ir);
  let before = 0;
  let after = 0;
  for (let i = 0; i < clip.length; i++) {
    before += (clip[i] as number) ** 2;
    after += (out[i] as number) ** 2;
  }
  if (after > 0) {
    const gain = Math.sqrt(before / after);
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * gain;
  }
  return out;
}

/**
 * A band-limited channel, as a telephone line or a low-bit-rate codec leaves speech: the clip is
 * resampled to twice `cutoffHz` and back with libsamplerate's band-limited sinc converter
 * (`SRC_SINC_FASTEST`, 80 % pass band), whose anti-aliasing filter removes what lies above the
 * new Nyquist frequency. A cutoff at or above the clip's Nyquist frequency returns a copy.
 *
 * @param clip `[n]` at `sampleRateHz`.
 * @param cutoffHz Upper band edge, Hz (e.g. 3400 for a telephone line).
 * @returns A new `[n]` (the round trip's length is fitted back).
 */
export async function bandLimit(clip: Float32Array, cutoffHz: number, sampleRateHz: number): Promise<Float32Array> {
  const lowRate = Math.round(2 * cutoffHz);
  if (lowRate >= sampleRateHz) return clip.slice();
  const narrow = await resampleMono(clip, sampleRateHz, lowRate, 'fastest');
  const back = await resampleMono(narrow, lowRate, sampleRateHz, 'fastest');
  const out = new Float32Array(clip.length);
  out.set(back.subarray(0, clip.length));
  return out;
}
