export {
  listedArchitecture,
  restoreThresholds,
  storeCalibration,
  storeThresholds,
  versionGeometry,
} from './manifest.js';
export type {
  Calibration,
  ClassScores,
  EnsembleSpec,
  EpochRecord,
  EvaluationMetrics,
  RejectionMetrics,
  ReliabilityBin,
  RuleOperatingPoint,
  StoredThresholds,
  TrustMetrics,
  UnknownOperatingPoint,
  UnknownTradeOff,
  VersionManifest,
  VersionState,
  WordsSpec,
} from './manifest.js';
export { BUNDLED_MODELS_DIR, ModelRegistry, shippedVersions } from './model-registry.js';
export type { PendingVersion, RegistryOpenOptions, VersionRecord } from './model-registry.js';
