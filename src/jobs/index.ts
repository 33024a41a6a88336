export { codeVersion, datasetFingerprint, loadVersion, trainVersion } from './versions.js';
export type { LoadedVersion, TrainedVersion } from './versions.js';
export { evaluateVersion } from './evaluate.js';
export type { EvaluationReport, HardExample } from './evaluate.js';
export { classifyFiles } from './classify.js';
export type { FileFailure, FilePrediction } from './classify.js';
