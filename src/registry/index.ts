export { restoreThresholds, storeCalibration, storeThresholds } from './manifest.js';
export type {
  Calibration,
  ClassScores,
  EpochRecord,
  EvaluationMetrics,
  RejectionMetrics,
  ReliabilityBin,
  StoredThresholds,
  TrustMetrics,
  VersionManifest,
  VersionState,
} from './manifest.js';
export { ModelRegistry } from './model-registry.js';
export type { PendingVersion, VersionRecord } from './model-registry.js';
