export { computeMetrics } from './metrics.js';
export type { ClassScores, EvaluationMetrics } from './metrics.js';
export { calibrateThresholds } from './calibration.js';
export type { Calibration } from './calibration.js';
