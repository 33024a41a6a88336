export { argmax, decide, NO_THRESHOLDS, validateThresholds } from './thresholds.js';
export type { Decision, DecisionReason, Thresholds } from './thresholds.js';
