import { describeValue, FeatureError } from '../errors/index.js';

/** Smallest `fftSize`: PFFFT's real transform needs a multiple of 32 (its SIMD width). */
export const MIN_FFT_SIZE = 32;

/** Current version of the {@link FeatureConfig} schema; bump when a field's meaning changes. */
export const FEATURE_CONFIG_SCHEMA_VERSION = 1;

/**
 * Feature types: a log-mel spectrogram, MFCCs (DCT-II of the log-mel), PCEN (the mel energies
 * compressed by per-channel energy normalisation instead of the log; see `pcenFrame`), or the
 * waveform itself (`[clipSamples, 1]`: the fitted samples, for an imported model with its own front
 * end; kws-serve does not train on it).
 */
export type FeatureType = 'log-mel' | 'mfcc' | 'pcen' | 'waveform';

/** Every {@link FeatureType}, in the order messages list them. */
export const FEATURE_TYPES: readonly FeatureType[] = Object.keys({
  'log-mel': true,
  mfcc: true,
  pcen: true,
  waveform: true,
} satisfies Record<FeatureType, true>) as FeatureType[];

/** Per-utterance normalisation: none, or cepstral mean and variance normalisation per bin. */
export type FeatureNormalization = 'none' | 'utterance-cmvn';

/**
 * How a model's input features are computed from 16 kHz audio. Serializable (plain JSON) and
 * versioned: every model version stores the config it was trained with, and serving recomputes
 * exactly those features.
 *
 * Defaults follow TensorFlow's speech_commands example (`models.prepare_model_settings`:
 * 30 ms window, 10 ms stride, 40 bins) and `tf.signal.linear_to_mel_weight_matrix`
 * (HTK mel scale, 20 to 7600 Hz here). For 1 s at 16 kHz they give 98 frames × 40 bins.
 */
export interface FeatureConfig {
  /** Schema version of this object, {@link FEATURE_CONFIG_SCHEMA_VERSION}. */
  readonly schemaVersion: number;
  /**
   * `log-mel` (default) and `pcen` give `[frames, melBins]`; `mfcc` gives `[frames, mfccCoefficients]`;
   * `waveform` gives the samples, `[clipSamples, 1]` (no normalisation).
   */
  readonly type: FeatureType;
  /** Input sample rate, Hz. Default 16000. */
  readonly sampleRateHz: number;
  /** Input length, samples (1 s at 16 kHz = 16000). Default 16000. */
  readonly clipSamples: number;
  /** Analysis window length, samples. Default 480 (30 ms at 16 kHz). */
  readonly windowSamples: number;
  /** Hop length between frames, samples. Default 160 (10 ms at 16 kHz). */
  readonly hopSamples: number;
  /** FFT size, a power of two ≥ `windowSamples`; the window is zero-padded to it. Default 512. */
  readonly fftSize: number;
  /** Analysis window: `hann` (periodic, as `tf.signal.hann_window` by default). */
  readonly window: 'hann';
  /** Number of triangular mel filters. Default 40. */
  readonly melBins: number;
  /** Lower edge of the lowest mel filter, Hz. Default 20. */
  readonly fMinHz: number;
  /** Upper edge of the highest mel filter, Hz, at most `sampleRateHz / 2`. Default 7600. */
  readonly fMaxHz: number;
  /** Mel scale: `htk`, mel = 2595 · log10(1 + f / 700) (Young et al., The HTK Book). */
  readonly melScale: 'htk';
  /** Spectrum fed to the filterbank: `power`, |X[k]|². */
  readonly spectrum: 'power';
  /** Floor applied before the natural log: log(max(mel energy, logFloor)). Default 1e-6. Not used by `pcen`. */
  readonly logFloor: number;
  /** MFCCs kept when `type` is `mfcc` (orthonormal DCT-II, first N). Default 13. */
  readonly mfccCoefficients: number;
  /**
   * PCEN smoothing coefficient s of the per-bin IIR smoother M(t) = (1 − s)·M(t − 1) + s·E(t), in
   * (0, 1]; used when `type` is `pcen`. Default 0.025 (Wang et al. 2017; librosa.pcen's default
   * time constant of 0.4 s gives s = 0.0247 at a 10 ms hop).
   */
  readonly pcenSmoothing: number;
  /** PCEN gain exponent α of the AGC, E / (ε + M)^α, in [0, 1]. Default 0.98 (Wang et al. 2017; librosa.pcen `gain`). */
  readonly pcenGain: number;
  /** PCEN bias δ of the root compression, (· + δ)^r − δ^r, > 0. Default 2 (Wang et al. 2017; librosa.pcen `bias`). */
  readonly pcenBias: number;
  /** PCEN compression exponent r, in (0, 1]. Default 0.5 (Wang et al. 2017; librosa.pcen `power`). */
  readonly pcenPower: number;
  /**
   * PCEN ε, added to M before the AGC divides by it, > 0, in the units of the mel energies (power
   * spectrum of samples in [-1, 1]). Default 1e-6 (Wang et al. 2017; librosa.pcen `eps`). See
   * {@link DEFAULT_FEATURE_CONFIG} for why the energies are not rescaled.
   */
  readonly pcenEpsilon: number;
  /** Per-utterance normalisation, after the log-mel, MFCC or PCEN. Default `none`. */
  readonly normalization: FeatureNormalization;
}

/**
 * The default feature configuration: 98 × 40 log-mel for 1 s at 16 kHz.
 *
 * The PCEN defaults (s = 0.025, α = 0.98, δ = 2, r = 0.5, ε = 1e-6) are Wang et al. 2017's fixed
 * PCEN (section 2) and librosa.pcen's defaults. librosa's docs note that those values were set for
 * mel energies of audio in the int32 range [-2^31, 2^31), and suggest scaling [-1, 1] audio by 2^31.
 * kws-serve does not: the energies here are those of samples in [-1, 1], with no scale field, because
 * (1) a scale k is redundant: PCEN(k·E; ε, δ) = c^r · PCEN(E; ε / k, δ / c) with c = k^(1 − α), so
 * it equals a smaller ε and δ and an output factor (which utterance CMVN or the model absorbs); and
 * (2) unscaled, ε = 1e-6 is the same floor as `logFloor`: just above the mel energies of 16-bit
 * quantisation noise (about -101 dBFS RMS, mel energies of 1e-8 to 1e-7 here), so dither and
 * near-silence stay near 0 instead of being lifted by the AGC to the level of speech, while ε is
 * small next to the energies of any sound above about -70 dBFS, where PCEN is level-independent.
 * Scaled by 2^62 (2^31 in amplitude), ε would floor only energies 186 dB lower.
 */
export const DEFAULT_FEATURE_CONFIG: FeatureConfig = Object.freeze({
  schemaVersion: FEATURE_CONFIG_SCHEMA_VERSION,
  type: 'log-mel',
  sampleRateHz: 16_000,
  clipSamples: 16_000,
  windowSamples: 480,
  hopSamples: 160,
  fftSize: 512,
  window: 'hann',
  melBins: 40,
  fMinHz: 20,
  fMaxHz: 7_600,
  melScale: 'htk',
  spectrum: 'power',
  logFloor: 1e-6,
  mfccCoefficients: 13,
  pcenSmoothing: 0.025,
  pcenGain: 0.98,
  pcenBias: 2,
  pcenPower: 0.5,
  pcenEpsilon: 1e-6,
  normalization: 'none',
});

/** Output shape of one clip's features. */
export interface FeatureShape {
  /** Frames: 1 + floor((clipSamples − windowSamples) / hopSamples). */
  readonly frames: number;
  /** Bins per frame: `melBins` for log-mel and PCEN, `mfccCoefficients` for MFCC. */
  readonly bins: number;
}

function invalid(field: string, value: unknown, rule: string): FeatureError {
  return new FeatureError('INVALID_FEATURE_CONFIG', `FeatureConfig.${field} ${rule}, got ${describeValue(value)}`);
}

function integerIn(config: FeatureConfig, field: keyof FeatureConfig, min: number, max: number): void {
  const value = config[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, value, `must be an integer from ${min} to ${max}`);
  }
}

/** A finite number within `(min, max]` / `[min, max]` (`minOpen`), or above `min` when `max` is infinite. */
function numberIn(config: FeatureConfig, field: keyof FeatureConfig, min: number, max: number, minOpen: boolean): void {
  const value = config[field];
  const aboveMin = typeof value === 'number' && (minOpen ? value > min : value >= min);
  if (typeof value !== 'number' || !aboveMin || !Number.isFinite(value) || value > max) {
    const rule = Number.isFinite(max)
      ? `must be a number in ${minOpen ? '(' : '['}${min}, ${max}]`
      : `must be a finite number ${minOpen ? '>' : '≥'} ${min}`;
    throw invalid(field, value, rule);
  }
}

function oneOf(config: FeatureConfig, field: keyof FeatureConfig, allowed: readonly string[]): void {
  const value = config[field];
  if (typeof value !== 'string' || !allowed.includes(value))
    throw invalid(field, value, `must be one of ${allowed.join(', ')}`);
}

/**
 * Merges a partial config (for example one read from a model version's JSON) over
 * {@link DEFAULT_FEATURE_CONFIG} and checks every field once. A config stored before a field existed
 * (the `pcen*` fields) resolves to that field's default, which leaves its features unchanged.
 *
 * @returns A frozen, complete config.
 * @throws FeatureError `INVALID_FEATURE_CONFIG` naming the field, the rule and the bad value.
 */
export function resolveFeatureConfig(partial: Partial<FeatureConfig> = {}): FeatureConfig {
  if (typeof partial !== 'object' || partial === null) throw invalid('(root)', partial, 'must be an object');
  const unknownField = Object.keys(partial).find((key) => !(key in DEFAULT_FEATURE_CONFIG));
  if (unknownField !== undefined)
    throw invalid(unknownField, (partial as Record<string, unknown>)[unknownField], 'is not a known field');
  const config: FeatureConfig = { ...DEFAULT_FEATURE_CONFIG, ...partial };
  if (config.schemaVersion !== FEATURE_CONFIG_SCHEMA_VERSION) {
    throw invalid(
      'schemaVersion',
      config.schemaVersion,
      `must be ${FEATURE_CONFIG_SCHEMA_VERSION} (this build's schema)`,
    );
  }
  oneOf(config, 'type', FEATURE_TYPES);
  oneOf(config, 'window', ['hann']);
  oneOf(config, 'melScale', ['htk']);
  oneOf(config, 'spectrum', ['power']);
  oneOf(config, 'normalization', ['none', 'utterance-cmvn']);
  if (config.type === 'waveform' && config.normalization !== 'none')
    throw invalid('normalization', config.normalization, 'must be none for waveform features');
  integerIn(config, 'sampleRateHz', 4_000, 192_000);
  integerIn(config, 'clipSamples', 1, 10 * config.sampleRateHz);
  integerIn(config, 'windowSamples', 16, config.clipSamples);
  integerIn(config, 'hopSamples', 1, config.windowSamples);
  integerIn(config, 'fftSize', Math.max(MIN_FFT_SIZE, config.windowSamples), 65_536);
  if ((config.fftSize & (config.fftSize - 1)) !== 0) throw invalid('fftSize', config.fftSize, 'must be a power of two');
  integerIn(config, 'melBins', 1, config.fftSize / 2);
  if (typeof config.fMinHz !== 'number' || !(config.fMinHz >= 0))
    throw invalid('fMinHz', config.fMinHz, 'must be a number ≥ 0');
  if (
    typeof config.fMaxHz !== 'number' ||
    !(config.fMaxHz > config.fMinHz) ||
    config.fMaxHz > config.sampleRateHz / 2
  ) {
    throw invalid(
      'fMaxHz',
      config.fMaxHz,
      `must be above fMinHz (${config.fMinHz}) and at most the Nyquist frequency (${config.sampleRateHz / 2})`,
    );
  }
  if (typeof config.logFloor !== 'number' || !(config.logFloor > 0) || !Number.isFinite(config.logFloor)) {
    throw invalid('logFloor', config.logFloor, 'must be a finite number > 0');
  }
  integerIn(config, 'mfccCoefficients', 1, config.melBins);
  numberIn(config, 'pcenSmoothing', 0, 1, true);
  numberIn(config, 'pcenGain', 0, 1, false);
  numberIn(config, 'pcenBias', 0, Number.POSITIVE_INFINITY, true);
  numberIn(config, 'pcenPower', 0, 1, true);
  numberIn(config, 'pcenEpsilon', 0, Number.POSITIVE_INFINITY, true);
  return Object.freeze(config);
}

/** Output shape `[frames, bins]` of one clip under `config`: `[clipSamples, 1]` for `waveform`. */
export function featureShape(config: FeatureConfig): FeatureShape {
  if (config.type === 'waveform') return { frames: config.clipSamples, bins: 1 };
  const frames = 1 + Math.floor((config.clipSamples - config.windowSamples) / config.hopSamples);
  const bins = config.type === 'mfcc' ? config.mfccCoefficients : config.melBins;
  return { frames, bins };
}
