export type { TfjsBackendName } from './tfjs/tfjs-backend.js';
export { atTemperature, checkInput } from './model-output.js';
export {
  checkClasses,
  checkTemperature,
  energyFromLogits,
  energyWithTemperature,
  rowLogSumExp,
  softmaxWithTemperature,
} from './logits.js';
export type { DeviceChoice, EngineKind, ModelGeometry, ModelOutput, ModelSession } from './model-output.js';
export { openModelSession } from './model-session.js';
export { defaultEnginePoolOptions, EnginePool } from './engine-pool.js';
export type { EnginePoolOptions } from './engine-pool.js';
export type { EmbeddedChunk, PreparedClip, SavedClip, SaveTarget, ScoredChunk } from './engine-tasks.js';
export type { EmbeddingLayer } from './embedding.js';
export { penultimateTensor } from './embedding.js';
export { projectToPlane } from './projection.js';
export type { Projection } from './engine-tasks.js';
export { engineWorker } from './engine-tasks.js';
export type { EngineTask, EngineWorkerData, ModelTarget } from './engine-tasks.js';
export {
  averageViews,
  DEFAULT_TTA,
  describeTta,
  MAX_TTA_TRANSFORMS,
  ttaViewCount,
  ttaViews,
  validateTta,
} from './tta.js';
export type { TtaSpec } from './tta.js';
export {
  combineMemberOutputs,
  isSessionEnsemble,
  readSessionEnsemble,
  SESSION_ENSEMBLE_FILE,
  SESSION_ENSEMBLE_MEMBERS,
  writeSessionEnsemble,
} from './session-ensemble.js';
export type { SessionEnsembleMember, SessionEnsembleSpec } from './session-ensemble.js';
export { groupWordOutput, withWordGroups } from './word-groups.js';
