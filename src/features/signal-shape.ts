import { hannWindow } from './mel.js';
import { realFft } from './real-fft.js';

/**
 * Two descriptors of a clip's spectrum over time that tell steady synthetic sounds from speech,
 * whatever a model makes of them (the non-speech rule of `decide` in `inference`). Both are first
 * quartiles over the clip's *active* frames (within {@link ACTIVE_FRAME_RANGE_DB} of its loudest;
 * up to {@link MAX_SHAPE_FRAMES} of them, evenly spaced), each in [0, 1]; 0 and 0 for digital
 * silence. A quartile, not the median, so that three quarters of the sound must be steady: a word
 * with a steady tone under it, whose frames are mostly tone, is not a tone. Tonality (a spectral peak's share of power) and
 * stationarity are the classic speech/music and voice-activity cues (Scheirer and Slaney, ICASSP
 * 1997, "Construction and evaluation of a robust multifeature speech/music discriminator").
 */
export interface SignalShape {
  /**
   * Tonality: the share of a frame's power within ±{@link PEAK_HALF_WIDTH_HZ} (62.5 Hz) of its
   * strongest bin. About 1 for a pure tone, a slow sweep or a whistle; a voiced frame spreads its
   * power over several harmonics and formants: 0.36 for the median of the 2,140 real Speech
   * Commands clips, at most 0.928 for a command word among them.
   */
  readonly peakConcentration: number;
  /**
   * Spectral stationarity: the cosine similarity between a frame's magnitude spectrum and the mean
   * magnitude spectrum of the active frames. 1 for a periodic sound whose spectrum never changes (a
   * held low square wave, a click train, a held chord); about 0.886 (sqrt(π/4)) for white noise,
   * whose bins fluctuate; speech moves its formants and pitch: 0.66 for the median real clip, at
   * most 0.950 for a real command and 0.988 for a word of a synthetic voice. 0 for
   * a sound of fewer than {@link MIN_STATIONARY_FRAMES} active frames or shorter than
   * {@link MIN_STATIONARY_SPAN_MS}.
   */
  readonly stationarity: number;
}

/** Frame length, ms (a 25 ms Hann window, as speech front ends use). */
export const SHAPE_FRAME_MS = 25;
/** Hop length, ms: a frame's level is that of its hop, and the hops tile the clip (50 in 1 s). */
export const SHAPE_HOP_MS = 20;
/**
 * Fewest active frames for a {@link SignalShape.stationarity} (100 ms of sound at the 20 ms hop);
 * below it the similarity of a frame or two to their own mean says nothing, and it is 0.
 */
export const MIN_STATIONARY_FRAMES = 5;
/**
 * Shortest span from the first active frame to the end of the last for a
 * {@link SignalShape.stationarity}, ms; below it, 0. A short word of a monotone voice is a steady
 * vowel too: eSpeak NG at a flat 60 Hz pitch says `up` at a stationarity of 0.999 over 140 and
 * 220 ms, while the held square and sawtooth waves and chords of the OOD set's development half
 * last 300 ms and more (and a 10 Hz click train spans its second).
 */
export const MIN_STATIONARY_SPAN_MS = 300;
/** Most active frames transformed, evenly spaced over the active ones (the quartiles of a 1 s clip need no more). */
export const MAX_SHAPE_FRAMES = 16;
/** Frames quieter than the loudest by more than this, dB, are left out (pauses, fades). */
export const ACTIVE_FRAME_RANGE_DB = 20;
/**
 * Half-width of the peak band of {@link SignalShape.peakConcentration}, Hz: 2 bins of the 512-point
 * FFT at 16 kHz, most of a 25 ms Hann window's main lobe (±80 Hz). At other rates the band is the
 * nearest whole number of bins, at least 2.
 */
export const PEAK_HALF_WIDTH_HZ = 62.5;

const windows = new Map<number, Float64Array>();

/**
 * Computes a clip's {@link SignalShape}. The clip is cut into hops of {@link SHAPE_HOP_MS}; a hop
 * within {@link ACTIVE_FRAME_RANGE_DB} of the loudest (its energy less its mean) is active. Up to
 * {@link MAX_SHAPE_FRAMES} active hops, evenly spaced, are analysed by a {@link SHAPE_FRAME_MS} Hann
 * window centred on the hop, less its window-weighted mean (a DC offset is not a tone: some Speech
 * Commands recordings carry one), zero-padded to a power of two (512 points at 16 kHz, 31.25 Hz
 * bins) and transformed by PFFFT. About 0.08 ms a clip here (bulk scoring computes it only for
 * clips whose argmax is a command).
 *
 * @param samples `[n]` mono samples in [-1, 1] (a clip fitted to the model's length, 16,000 samples).
 * @param sampleRateHz Their rate, Hz.
 * @returns Both descriptors; zeros when no frame has power (digital silence, or fewer samples than one frame).
 */
export function signalShape(samples: Float32Array, sampleRateHz: number): SignalShape {
  const frameLength = Math.round((sampleRateHz * SHAPE_FRAME_MS) / 1000);
  const hop = Math.round((sampleRateHz * SHAPE_HOP_MS) / 1000);
  // Every whole hop of the clip; the last windows are clamped to its end.
  const frames = samples.length < frameLength ? 0 : Math.floor(samples.length / hop);
  const active = activeFrames(frameEnergies(samples, frames, hop));
  if (active.length === 0) return { peakConcentration: 0, stationarity: 0 };
  let size = 2;
  while (size < frameLength) size *= 2;
  const bins = size / 2 + 1;
  const halfWidth = Math.max(2, Math.round((PEAK_HALF_WIDTH_HZ * size) / sampleRateHz));
  const fft = realFft(size);
  let window = windows.get(frameLength);
  if (window === undefined) windows.set(frameLength, (window = hannWindow(frameLength)));
  const chosen = spread(active, MAX_SHAPE_FRAMES);
  const power = new Float64Array(chosen.length * bins);
  const shares = chosen.map((t, row) => {
    // The window centred on the frame's hop, whose level made it active (clamped to the clip).
    const start = Math.min(samples.length - frameLength, Math.max(0, t * hop + ((hop - frameLength) >> 1)));
    const spectrum = windowedSpectrum(samples, start, window, fft);
    return peakShare(spectrum, power.subarray(row * bins, (row + 1) * bins), halfWidth);
  });
  const spanMs = ((active[active.length - 1] as number) - (active[0] as number) + 1) * SHAPE_HOP_MS;
  const stationarity =
    active.length < MIN_STATIONARY_FRAMES || spanMs < MIN_STATIONARY_SPAN_MS
      ? 0
      : firstQuartile(similaritiesToMean(power, bins, chosen.length));
  return { peakConcentration: firstQuartile(shares), stationarity };
}

/**
 * `[frames]` energy of the first `hop` samples of each frame less their mean, Σ(x − x̄)²: the frames
 * tile the clip by their hops, so one pass over it gives every frame's level (a frame's last
 * `frameLength − hop` samples, the next one's first, are left to it).
 */
function frameEnergies(samples: Float32Array, frames: number, hop: number): Float64Array {
  const energies = new Float64Array(frames);
  for (let t = 0; t < frames; t++) {
    let sum = 0;
    let squares = 0;
    for (let i = t * hop, end = i + hop; i < end; i++) {
      const x = samples[i] as number;
      sum += x;
      squares += x * x;
    }
    energies[t] = Math.max(0, squares - (sum * sum) / hop);
  }
  return energies;
}

/** Up to `most` of `items`, evenly spaced from the first to the last (all of them when there are no more). */
function spread(items: readonly number[], most: number): number[] {
  if (items.length <= most) return [...items];
  return Array.from({ length: most }, (_, i) => items[Math.round((i * (items.length - 1)) / (most - 1))] as number);
}

/**
 * Writes the power spectrum `[size/2 + 1]` of an ordered spectrum into `power` and returns the share
 * of its total within ±`halfWidth` bins of its strongest bin (0 for a frame without power).
 */
function peakShare(spectrum: Float32Array, power: Float64Array, halfWidth: number): number {
  const half = power.length - 1;
  const dc = spectrum[0] as number;
  const nyquist = spectrum[1] as number;
  power[0] = dc * dc;
  power[half] = nyquist * nyquist;
  let total = dc * dc + nyquist * nyquist;
  let peak = nyquist * nyquist > dc * dc ? half : 0;
  let best = Math.max(dc * dc, nyquist * nyquist);
  for (let k = 1, j = 2; k < half; k++, j += 2) {
    const re = spectrum[j] as number;
    const im = spectrum[j + 1] as number;
    const p = re * re + im * im;
    power[k] = p;
    total += p;
    if (p > best) {
      best = p;
      peak = k;
    }
  }
  let band = 0;
  const last = Math.min(half, peak + halfWidth);
  for (let k = Math.max(0, peak - halfWidth); k <= last; k++) band += power[k] as number;
  return total > 0 ? Math.min(1, band / total) : 0; // at most 1, whatever the rounding
}

/**
 * The ordered spectrum (see `RealFft.transform`) of the Hann-windowed frame at `start` less its
 * window-weighted mean, so that bin 0 is exactly 0 (a plain mean would leave the window's own
 * low-frequency shape in a frame whose energy is one click near its edge).
 */
function windowedSpectrum(
  samples: Float32Array,
  start: number,
  window: Float64Array,
  fft: ReturnType<typeof realFft>,
): Float32Array {
  const length = window.length;
  let mean = 0;
  let weight = 0;
  for (let i = 0; i < length; i++) {
    mean += (samples[start + i] as number) * (window[i] as number);
    weight += window[i] as number;
  }
  mean /= weight;
  const input = fft.input;
  for (let i = 0; i < length; i++) input[i] = ((samples[start + i] as number) - mean) * (window[i] as number);
  input.fill(0, length);
  return fft.transform();
}

/** Indices of the frames within {@link ACTIVE_FRAME_RANGE_DB} of the loudest; none when all are silent. */
function activeFrames(framePower: Float64Array): number[] {
  let loudest = 0;
  for (const p of framePower) loudest = Math.max(loudest, p);
  if (!(loudest > 0)) return [];
  const floor = loudest * 10 ** (-ACTIVE_FRAME_RANGE_DB / 10);
  const active: number[] = [];
  framePower.forEach((p, t) => {
    if (p >= floor) active.push(t);
  });
  return active;
}

/** Cosine similarity of each of `rows` magnitude spectra to their mean; `power` `[rows, bins]` is replaced by magnitudes. */
function similaritiesToMean(power: Float64Array, bins: number, rows: number): number[] {
  const mean = new Float64Array(bins);
  const norms = Array.from({ length: rows }, (_, t) => {
    let norm = 0;
    for (let k = 0; k < bins; k++) {
      const p = power[t * bins + k] as number;
      const magnitude = Math.sqrt(p);
      power[t * bins + k] = magnitude;
      mean[k] = (mean[k] as number) + magnitude;
      norm += p;
    }
    return Math.sqrt(norm);
  });
  let meanNorm = 0;
  for (const m of mean) meanNorm += m * m;
  meanNorm = Math.sqrt(meanNorm);
  return norms.map((norm, t) => {
    let dot = 0;
    for (let k = 0; k < bins; k++) dot += (power[t * bins + k] as number) * (mean[k] as number);
    return norm > 0 && meanNorm > 0 ? Math.min(1, dot / (norm * meanNorm)) : 0; // a cosine: rounding made 1 + 2e-16
  });
}

/**
 * The first quartile of a non-empty list: the value a quarter of the way up its sorted order, linearly
 * interpolated (NumPy's default `percentile(values, 25)`).
 */
function firstQuartile(values: number[]): number {
  const sorted = values.sort((a, b) => a - b);
  const position = (sorted.length - 1) / 4;
  const below = Math.floor(position);
  const low = sorted[below] as number;
  const high = sorted[Math.min(sorted.length - 1, below + 1)] as number;
  return low + (high - low) * (position - below);
}
