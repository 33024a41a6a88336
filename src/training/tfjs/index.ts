// The TF.js half of training: train a model, make and load model versions, evaluate them, and the
// training worker's body. Imported by the CLI's training commands, scripts and batch/train.worker.ts.
export { calibrateAndTest, distillationTargets, predictClipSet, trainModel } from './trainer.js';
export type { Teacher } from './trainer.js';
export type { TrainResult } from './trainer.js';
export { codeVersion, datasetFingerprint, loadVersion, trainVersion } from './train-version.js';
export type { LoadedVersion, TrainedVersion } from './train-version.js';
export { evaluateVersion } from './evaluate-version.js';
export type { EvaluationReport, HardExample } from './evaluate-version.js';
export { runTrainWorker } from './train-worker.js';
export { evaluateOodSet } from './evaluate-ood-set.js';
export type { OodEvaluationReport, OodGroupReport, OodPartReport } from './evaluate-ood-set.js';
export { outlierExposureLoss } from './outlier-exposure.js';
export { FusedAdamOptimizer } from './fused-adam.js';
export { calibrateVersion } from './calibrate-version.js';
export type { CalibrateVersionOptions, CalibrationSource } from './calibrate-version.js';
export { averageVersions, memberWeights } from './average-versions.js';
export type { AverageVersionsOptions } from './average-versions.js';
export { DataParallelSteps, shardSizes } from './data-parallel.js';
export { LocalReplica } from './replica.js';
export type { GradientReplica, ReplicaInit, ShardResult, ShardStep } from './replica.js';
export { runReplicaWorker, ThreadReplica, threadReplicas } from './thread-replica.js';
export type { ReplicaReply } from './thread-replica.js';
export { applyFlatGradients, flatSize, GradientCapture } from './gradient-capture.js';
export { createEnsemble } from './ensemble-versions.js';
export type { CreateEnsembleOptions } from './ensemble-versions.js';
export { importVersion, MAX_IMPORT_BYTES } from './import-version.js';
export type { ImportVersionOptions } from './import-version.js';
export { runVersionWorker } from './version-worker.js';
