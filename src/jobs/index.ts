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
export { NoJobQueue } from './job-queue.js';
export type { JobQueue, JobQueueBackend } from './job-queue.js';
export { EmbeddedJobQueue } from './embedded-queue.js';
export { DEFAULT_REDIS_QUEUE_OPTIONS, RedisJobQueue } from './redis-queue.js';
export type { RedisQueueOptions } from './redis-queue.js';
export { checkRedisUrl, QUEUE_NAMES, redactRedisUrl } from './redis-connection.js';
export { DEFAULT_WORKER_OPTIONS, JobWorker, MAX_STALLED } from './redis-worker.js';
export type { JobWorkerOptions, WorkerEvent } from './redis-worker.js';
export { startWorkerProcess } from './worker-process.js';
export type { WorkerProcess, WorkerProcessOptions } from './worker-process.js';
