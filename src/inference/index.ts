export { argmax } from '../labels/index.js';
export {
  decide,
  isNonSpeech,
  MAX_ENERGY_THRESHOLD,
  NO_THRESHOLDS,
  NON_SPEECH_LIMITS,
  UNKNOWN_SCORES,
  validateThresholds,
} from './thresholds.js';
export type { Decision, DecisionReason, Thresholds, UnknownScore } from './thresholds.js';
export { DEFAULT_BATCHER_OPTIONS, DynamicBatcher, REAL_SCHEDULER, validateBatcherOptions } from './dynamic-batcher.js';
export type { BatcherOptions, BatchReport, BatchRunner, BatchScheduler } from './dynamic-batcher.js';
