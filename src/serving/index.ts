export { ServingService } from './serving-service.js';
export type {
  ClipOutput,
  Readiness,
  ServingOptions,
  Spectrogram,
  ThresholdOverrides,
  UploadOutcome,
} from './serving-service.js';
export { readServingVersion, RESOLVE_TTL_MS, VersionResolver } from './version-resolver.js';
export type { ServingVersion } from './version-resolver.js';
export {
  probabilitiesByLabel,
  thresholdsJson,
  toPredictionView,
  versionTtaDescription,
  viewShape,
} from './prediction-view.js';
export type { PredictionView, ThresholdsJson } from './prediction-view.js';
export { classifyFiles } from './classify.js';
export type { FileFailure, FilePrediction } from './classify.js';
export { Dashboard, MAX_DASHBOARD_CLIPS } from './dashboard.js';
export type { ScoredClip } from './dashboard.js';
export type { ClusterMap, ClusterPoint, ClusterSource } from './cluster-map.js';
export { evenSample } from './cluster-map.js';
export { parseRecordId } from './record-id.js';
