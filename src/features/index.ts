export {
  DEFAULT_FEATURE_CONFIG,
  FEATURE_CONFIG_SCHEMA_VERSION,
  featureShape,
  resolveFeatureConfig,
} from './feature-config.js';
export type { FeatureConfig, FeatureNormalization, FeatureShape, FeatureType } from './feature-config.js';
export { FeatureExtractor } from './extractor.js';
export {
  dctIIOrthonormal,
  hannWindow,
  hzToMelHtk,
  melFilterbank,
  melToHzHtk,
  VTLP_BOUNDARY_FRACTION,
  vtlpWarpHz,
} from './mel.js';
export { convolve } from './real-fft.js';
export { signalShape } from './signal-shape.js';
export type { SignalShape } from './signal-shape.js';
export type { MelFilter } from './mel.js';
