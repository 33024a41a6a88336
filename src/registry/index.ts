export { restoreThresholds, storeCalibration, storeThresholds } from './manifest.js';
export type {
  Calibration,
  ClassScores,
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
} from './manifest.js';
export { ModelRegistry } from './model-registry.js';
export type { PendingVersion, VersionRecord } from './model-registry.js';
