import { FeatureError } from '../errors/index.js';
import { featureShape, resolveFeatureConfig } from './feature-config.js';
import type { FeatureConfig, FeatureShape } from './feature-config.js';
import { dctIIOrthonormal, hannWindow, melFilterbank } from './mel.js';
import type { MelFilter } from './mel.js';
import { pcenFrame } from './pcen.js';
import { realFft } from './real-fft.js';
import type { RealFft } from './real-fft.js';

/** Standard-deviation floor of utterance CMVN, so a constant bin maps to 0 rather than dividing by 0. */
const CMVN_STD_FLOOR = 1e-5;

/**
 * Computes log-mel, MFCC or PCEN features for fixed-length clips, per a {@link FeatureConfig}.
 *
 * Per frame t (hop `hopSamples`): multiply `windowSamples` samples by a periodic Hann window,
 * zero-pad to `fftSize`, real FFT (PFFFT in WebAssembly, float32), power spectrum |X[k]|², triangular HTK mel filterbank,
 * natural log of max(energy, `logFloor`); for MFCC, an orthonormal DCT-II keeping the first
 * `mfccCoefficients`; for PCEN, no log: the mel energies go through `pcenFrame` (Wang et al. 2017),
 * whose per-bin smoother carries over from frame to frame and restarts at each clip; then optional
 * utterance CMVN per bin.
 *
 * The extractor owns its scratch buffers, so one instance computes any number of clips without
 * allocating per clip. It is not re-entrant: use one instance per thread.
 */
export class FeatureExtractor {
  /** The resolved configuration. */
  readonly config: FeatureConfig;
  /** `[frames, bins]` of one clip. */
  readonly shape: FeatureShape;
  /** Floats per clip: frames · bins. */
  readonly clipSize: number;

  private readonly fft: RealFft;
  private readonly window: Float64Array;
  /** Power spectrum of the current frame, bins `0 ..< usedBins`. */
  private readonly power: Float64Array;
  /** Mel filterbank flattened for the hot loop: filter m covers bins filterStart[m] ..< filterStart[m] + filterLength[m], weights from filterWeightOffset[m]. */
  private readonly filterStart: Int32Array;
  private readonly filterLength: Int32Array;
  private readonly filterWeightOffset: Int32Array;
  private readonly filterWeights: Float64Array;
  /** Power-spectrum bins the filterbank reads: 0 ..< usedBins. */
  private readonly usedBins: number;
  /** The current frame's log-mel, or its mel energies and then their PCEN when `type` is `pcen`: `[melBins]`. */
  private readonly mel: Float64Array;
  private readonly dct: Float32Array | null;
  /** PCEN's smoother M(t − 1, ·) across the frames of one clip, `[melBins]`; null unless `type` is `pcen`. */
  private readonly pcenSmoother: Float64Array | null;

  /**
   * @param config A complete or partial config, merged over the defaults.
   * @param warpFactor VTLP warp factor of the mel filterbank (see `melFilterbank`); 1, the default,
   *   is what serving computes. Training draws other factors as an augmentation.
   * @throws FeatureError `INVALID_FEATURE_CONFIG` for an invalid config or a warp factor outside [0.5, 2].
   */
  constructor(
    config: Partial<FeatureConfig> = {},
    readonly warpFactor = 1,
  ) {
    if (!(warpFactor >= 0.5 && warpFactor <= 2))
      throw new FeatureError('INVALID_FEATURE_CONFIG', `the VTLP warp factor must be from 0.5 to 2, got ${warpFactor}`);
    this.config = resolveFeatureConfig(config);
    this.shape = featureShape(this.config);
    this.clipSize = this.shape.frames * this.shape.bins;
    const { fftSize, windowSamples, sampleRateHz, melBins, fMinHz, fMaxHz } = this.config;
    this.fft = realFft(fftSize);
    this.window = hannWindow(windowSamples);
    const filters = melFilterbank(sampleRateHz, fftSize, melBins, fMinHz, fMaxHz, warpFactor);
    this.filterStart = Int32Array.from(filters, (f) => f.startBin);
    this.filterLength = Int32Array.from(filters, (f) => f.weights.length);
    this.filterWeightOffset = new Int32Array(melBins);
    this.filterWeights = new Float64Array(filters.reduce((sum, f) => sum + f.weights.length, 0));
    let offset = 0;
    filters.forEach((filter: MelFilter, m) => {
      this.filterWeightOffset[m] = offset;
      this.filterWeights.set(filter.weights, offset);
      offset += filter.weights.length;
    });
    this.usedBins = Math.min(fftSize / 2 + 1, Math.max(...filters.map((f) => f.startBin + f.weights.length)));
    this.power = new Float64Array(this.usedBins);
    this.mel = new Float64Array(melBins);
    this.dct = this.config.type === 'mfcc' ? dctIIOrthonormal(this.config.mfccCoefficients, melBins) : null;
    this.pcenSmoother = this.config.type === 'pcen' ? new Float64Array(melBins) : null;
  }

  /**
   * Features of one clip.
   *
   * @param samples `[clipSamples]` at `sampleRateHz`, values in [-1, 1] (see `fitToLength`).
   * @param out Destination; a new `Float32Array(clipSize)` when omitted.
   * @param outOffset Index in `out` where this clip's `[frames, bins]` block starts.
   * @returns `out`, holding `[frames, bins]` row-major from `outOffset`.
   * @throws FeatureError `SHAPE_MISMATCH` when `samples` or `out` has the wrong length.
   */
  compute(samples: Float32Array, out: Float32Array = new Float32Array(this.clipSize), outOffset = 0): Float32Array {
    if (samples.length !== this.config.clipSamples) {
      throw new FeatureError(
        'SHAPE_MISMATCH',
        `expected ${this.config.clipSamples} samples per clip, got ${samples.length}; fit clips with fitToLength first`,
      );
    }
    if (!Number.isInteger(outOffset) || outOffset < 0 || outOffset + this.clipSize > out.length) {
      throw new FeatureError(
        'SHAPE_MISMATCH',
        `output needs ${this.clipSize} floats from offset ${outOffset}, but has length ${out.length}`,
      );
    }
    if (this.config.type === 'waveform') {
      out.set(samples, outOffset);
      return out;
    }
    const { frames, bins } = this.shape;
    const hop = this.config.hopSamples;
    const smoother = this.pcenSmoother;
    for (let t = 0; t < frames; t++) {
      this.powerSpectrum(samples, t * hop);
      this.melOf(this.power);
      if (smoother !== null) pcenFrame(this.mel, smoother, t === 0, this.config);
      this.writeFrame(out, outOffset + t * bins);
    }
    if (this.config.normalization === 'utterance-cmvn') normalizeCmvn(out, outOffset, frames, bins);
    return out;
  }

  /**
   * Features of a batch of clips into one contiguous tensor buffer.
   *
   * @param clips `batch` clips, each `[clipSamples]`.
   * @param out Destination of at least `batch · clipSize` floats; a new one when omitted.
   * @returns `out`, holding `[batch, frames, bins]` row-major.
   * @throws FeatureError `SHAPE_MISMATCH` for a clip of the wrong length or an `out` that is too short.
   */
  computeBatch(
    clips: readonly Float32Array[],
    out: Float32Array = new Float32Array(clips.length * this.clipSize),
  ): Float32Array {
    if (out.length < clips.length * this.clipSize) {
      throw new FeatureError(
        'SHAPE_MISMATCH',
        `output for ${clips.length} clips needs ${clips.length * this.clipSize} floats, has ${out.length}`,
      );
    }
    for (let b = 0; b < clips.length; b++) this.compute(clips[b] as Float32Array, out, b * this.clipSize);
    return out;
  }

  /**
   * Power spectrum |X[k]|² of the frame starting at sample `start` into `power` (bins below
   * `usedBins`): windowed, zero-padded to `fftSize`, real FFT in float32.
   */
  private powerSpectrum(samples: Float32Array, start: number): void {
    const { fft, window, power } = this;
    const input = fft.input;
    const windowSamples = window.length;
    for (let n = 0; n < windowSamples; n++) input[n] = (samples[start + n] as number) * (window[n] as number);
    input.fill(0, windowSamples);
    const spectrum = fft.transform(); // [X0, X(N/2), re X1, im X1, ...]
    const half = this.config.fftSize / 2;
    const dc = spectrum[0] as number;
    power[0] = dc * dc;
    const bins = power.length;
    for (let k = 1, j = 2; k < bins && k < half; k++, j += 2) {
      const re = spectrum[j] as number;
      const im = spectrum[j + 1] as number;
      power[k] = re * re + im * im;
    }
    if (bins > half) {
      const nyquist = spectrum[1] as number;
      power[half] = nyquist * nyquist;
    }
  }

  /** Fills `this.mel` with ln(max(filterbank · power, logFloor)), or with filterbank · power itself for PCEN. */
  private melOf(power: Float64Array): void {
    const { mel, filterStart, filterLength, filterWeightOffset, filterWeights } = this;
    const floor = this.config.logFloor;
    const log = this.pcenSmoother === null;
    for (let m = 0; m < mel.length; m++) {
      const first = filterStart[m] as number;
      const weightOffset = (filterWeightOffset[m] as number) - first;
      const end = first + (filterLength[m] as number);
      let energy = 0;
      for (let k = first; k < end; k++) energy += (filterWeights[weightOffset + k] as number) * (power[k] as number);
      mel[m] = log ? Math.log(energy > floor ? energy : floor) : energy;
    }
  }

  /** Writes the current frame's log-mel or PCEN (or its MFCCs) to `out[offset ..< offset + bins]`. */
  private writeFrame(out: Float32Array, offset: number): void {
    const { mel, dct } = this;
    if (dct === null) {
      for (let m = 0; m < mel.length; m++) out[offset + m] = mel[m] as number;
      return;
    }
    const inputs = mel.length;
    for (let k = 0; k < this.shape.bins; k++) {
      let sum = 0;
      for (let n = 0; n < inputs; n++) sum += (dct[k * inputs + n] as number) * (mel[n] as number);
      out[offset + k] = sum;
    }
  }
}

/** Cepstral mean and variance normalisation per bin over the frames of one clip, in place. */
function normalizeCmvn(out: Float32Array, offset: number, frames: number, bins: number): void {
  for (let b = 0; b < bins; b++) {
    let sum = 0;
    for (let t = 0; t < frames; t++) sum += out[offset + t * bins + b] as number;
    const mean = sum / frames;
    let squares = 0;
    for (let t = 0; t < frames; t++) {
      const d = (out[offset + t * bins + b] as number) - mean;
      squares += d * d;
    }
    const std = Math.max(Math.sqrt(squares / frames), CMVN_STD_FLOOR);
    for (let t = 0; t < frames; t++) {
      const i = offset + t * bins + b;
      out[i] = ((out[i] as number) - mean) / std;
    }
  }
}
