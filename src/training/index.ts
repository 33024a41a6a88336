export { computeMetrics } from './metrics.js';
export type { ClassScores, EvaluationMetrics } from './metrics.js';
export { calibrateThresholds } from './calibration.js';
export type { Calibration } from './calibration.js';
export { checkTrainInputs, predictClipSet, trainModel } from './trainer.js';
export type { EpochRecord, TrainOptions, TrainProgress, TrainResult } from './trainer.js';
export { clipAt, loadClipSet } from './clip-cache.js';
export type { ClipSet } from './clip-cache.js';
