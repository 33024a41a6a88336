import { describeValue, FeatureError } from '../errors/index.js';

/** Smallest `fftSize`: PFFFT's real transform needs a multiple of 32 (its SIMD width). */
export const MIN_FFT_SIZE = 32;

/** Current version of the {@link FeatureConfig} schema; bump when a field's meaning changes. */
export const FEATURE_CONFIG_SCHEMA_VERSION = 1;

/** Feature types: a log-mel spectrogram, or MFCCs (DCT-II of the log-mel). */
export type FeatureType = 'log-mel' | 'mfcc';

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
  /** `log-mel` (default) gives `[frames, melBins]`; `mfcc` gives `[frames, mfccCoefficients]`. */
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
  /** Floor applied before the natural log: log(max(mel energy, logFloor)). Default 1e-6. */
  readonly logFloor: number;
  /** MFCCs kept when `type` is `mfcc` (orthonormal DCT-II, first N). Default 13. */
  readonly mfccCoefficients: number;
  /** Per-utterance normalisation. Default `none`. */
  readonly normalization: FeatureNormalization;
}

/** The default feature configuration: 98 × 40 log-mel for 1 s at 16 kHz. */
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
  normalization: 'none',
});

/** Output shape of one clip's features. */
export interface FeatureShape {
  /** Frames: 1 + floor((clipSamples − windowSamples) / hopSamples). */
  readonly frames: number;
  /** Bins per frame: `melBins` for log-mel, `mfccCoefficients` for MFCC. */
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

function oneOf(config: FeatureConfig, field: keyof FeatureConfig, allowed: readonly string[]): void {
  const value = config[field];
  if (typeof value !== 'string' || !allowed.includes(value))
    throw invalid(field, value, `must be one of ${allowed.join(', ')}`);
}

/**
 * Merges a partial config (for example one read from a model version's JSON) over
 * {@link DEFAULT_FEATURE_CONFIG} and checks every field once.
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
  oneOf(config, 'type', ['log-mel', 'mfcc']);
  oneOf(config, 'window', ['hann']);
  oneOf(config, 'melScale', ['htk']);
  oneOf(config, 'spectrum', ['power']);
  oneOf(config, 'normalization', ['none', 'utterance-cmvn']);
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
  return Object.freeze(config);
}

/** Output shape `[frames, bins]` of one clip under `config`. */
export function featureShape(config: FeatureConfig): FeatureShape {
  const frames = 1 + Math.floor((config.clipSamples - config.windowSamples) / config.hopSamples);
  const bins = config.type === 'mfcc' ? config.mfccCoefficients : config.melBins;
  return { frames, bins };
}
