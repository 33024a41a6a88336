export { JOB_STATUSES, JobStore } from './job-store.js';
export type { JobKind, JobRecord, JobStatus, JobUpdate, ScoreCheckpoint } from './job-store.js';
export { fallbackLabel, scoreTestSet } from './score-test-set.js';
export type { ScoreOptions, ScoreProgress, ScoreSummary } from './score-test-set.js';
export { JOB_OUTPUTS, JobRunner, SEARCHABLE } from './job-runner.js';
export type { JobRunnerOptions, RetrainInput, ScoreJobInput, SearchInput, SearchMetric, SearchStrategy, SearchTrial } from './job-runner.js';
