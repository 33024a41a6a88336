export { isActive, JOB_STATUSES } from './job-record.js';
export type {
  JobKind,
  JobOf,
  JobProgress,
  JobRecord,
  JobSpec,
  JobStatus,
  ScoreParams,
  SearchMetric,
  SearchParams,
  SearchResult,
  SearchStrategy,
  SearchTrial,
  SearchTrialStatus,
  TrainParams,
} from './job-record.js';
export { renderJobError } from './job-error.js';
export type { JobError } from './job-error.js';
export { JOB_TRANSITIONS, JobStore } from './job-store.js';
export type { JobMove } from './job-store.js';
export { fallbackLabel, scoreTestSet } from './score-test-set.js';
export type { ScoreOptions, ScoreProgress, ScoreSummary } from './score-test-set.js';
export { JOB_OUTPUTS, scoreJobTta } from './score-job.js';
export type { ScoreJobInput } from './score-job.js';
export type { RetrainInput } from './train-job.js';
export { SEARCHABLE } from './search-job.js';
export type { SearchInput } from './search-job.js';
export { JobRunner } from './job-runner.js';
export type { JobRunnerOptions } from './job-runner.js';
export { parseJobSpec } from './job-params.js';
