import { UnreachableCaseError } from '../errors/index.js';
import type { Parameters, SearchSpace, TrainingProgress, TrainWorkerData } from '../training/index.js';
import type { JobError } from './job-error.js';

/**
 * Lifecycle of a job: QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED, and QUEUED -> CANCELLED.
 * A RUNNING scoring job left by a process that died stays RUNNING and is reclaimed by the next one
 * (see `JOB_TRANSITIONS` in job-store.ts). Only the job store's transition methods change it.
 */
export type JobStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** Every job status, in lifecycle order. */
export const JOB_STATUSES: readonly JobStatus[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

/** What a job does: bulk scoring, training one model version, or a hyperparameter search. */
export type JobKind = 'score' | 'train' | 'search';

/** True while a job may still change: QUEUED or RUNNING. */
export function isActive(status: JobStatus): boolean {
  switch (status) {
    case 'QUEUED':
    case 'RUNNING':
      return true;
    case 'SUCCEEDED':
    case 'FAILED':
    case 'CANCELLED':
      return false;
    default:
      throw new UnreachableCaseError(status);
  }
}

/** A bulk-scoring job's input, as checked on submission. */
export interface ScoreParams {
  /** The test folder's real path (`audio/*.wav`), inside an allowed root. */
  readonly dir: string;
  /** The version it scores with (resolved on submission, so a later promotion does not change it). */
  readonly modelVersion: number;
  /** Overrides the version's calibrated unknown threshold (max-softmax probability, 0 to 1); null keeps it. */
  readonly unknownThreshold: number | null;
  /** Also write all 12 probabilities per clip. */
  readonly probabilities: boolean;
  /** Test-time augmentation with `DEFAULT_TTA` (each clip also shifted and louder, outputs averaged); false in jobs from before it. */
  readonly tta: boolean;
}

/**
 * A training job's input: the training worker's options that a `retrain` request may set (checked
 * with `validateTrainOptions` on submission); omitted fields take `kws train`'s defaults.
 */
export type TrainParams = Pick<
  TrainWorkerData['options'],
  | 'dataDir'
  | 'architecture'
  | 'epochs'
  | 'batchSize'
  | 'learningRate'
  | 'patience'
  | 'balanced'
  | 'augment'
  | 'features'
  | 'baseVersion'
  | 'fineTuneOnly'
  | 'allowMissingClasses'
  | 'unknownTargetRecall'
  | 'outlierExposure'
  | 'distillFrom'
  | 'distillWeight'
  | 'allWords'
  | 'pseudoLabelDir'
  | 'pseudoLabelFrom'
  | 'pseudoLabelConfidence'
  | 'pseudoLabelMaxPerClass'
  | 'threads'
  | 'dataset'
  | 'seed'
  | 'backend'
>;

/** Strategies of a hyperparameter search. */
export type SearchStrategy = 'RANDOM' | 'TPE';

/** What a search optimises (higher is better), read from each trial's version. */
export type SearchMetric = 'validationAccuracy' | 'calibratedAccuracy';

/** A hyperparameter search's input, with its defaults applied on submission. */
export interface SearchParams {
  /** The dataset's real path, inside an allowed root. */
  readonly dataDir: string;
  readonly space: SearchSpace;
  readonly strategy: SearchStrategy;
  /** Trials to run, 1 to 100. */
  readonly trials: number;
  readonly metric: SearchMetric;
  /** Epochs per trial. */
  readonly epochs: number;
  readonly batchSize?: number;
  readonly patience?: number;
  /** Seed of the suggestions and of every trial's training. */
  readonly seed: number;
  readonly allowMissingClasses?: boolean;
}

/** Where one trial of a search is. */
export type SearchTrialStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** One row of a search's trial table. */
export interface SearchTrial {
  /** 1, 2, ... in the order run. */
  readonly trial: number;
  readonly parameters: Parameters;
  /** The version it made (or was making); null until reserved. */
  readonly version: number | null;
  /** The search's metric of that version; null unless SUCCEEDED. */
  readonly metric: number | null;
  readonly status: SearchTrialStatus;
  /** Why it FAILED (or CANCELLED); null otherwise. */
  readonly error: JobError | null;
  /** Which `kws worker` ran it (`host:pid`, with a Redis queue); null in the server's own queue. */
  readonly worker: string | null;
  /** When it started and ended (ISO 8601); null until then (and in rows older than these fields). */
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

/** A search's result: its trial table and its best trial so far (highest metric, first on ties). */
export interface SearchResult {
  readonly strategy: SearchStrategy;
  readonly metric: SearchMetric;
  readonly trials: readonly SearchTrial[];
  readonly best: SearchTrial | null;
}

/** What a job is, by kind: its params and the result it keeps. */
export type JobSpec =
  | { readonly kind: 'score'; readonly params: ScoreParams }
  | { readonly kind: 'train'; readonly params: TrainParams }
  | { readonly kind: 'search'; readonly params: SearchParams };

/** What every job has, whatever its kind. */
export interface JobFields {
  readonly id: number;
  readonly status: JobStatus;
  /** Times the job was claimed to run: 0 while QUEUED, 1 once started, +1 at each reclaim after a restart. */
  readonly attempt: number;
  /** Items done (clips scored, failed ones included; trials run for a search). */
  readonly processed: number;
  /** Items that failed (clips that got a fallback label). */
  readonly failed: number;
  /** Items in all; 0 until known. */
  readonly total: number;
  /** Throughput of the current run, items per second. */
  readonly clipsPerSecond: number;
  /** Estimated seconds to finish, null when unknown. */
  readonly etaSeconds: number | null;
  /** Why it FAILED; null otherwise. INTERNAL errors carry a masked message (the details are logged). */
  readonly error: JobError | null;
  /** Folder of the job's output files (scoring jobs). */
  readonly outputDir: string | null;
  /** Training jobs and searches: the latest progress report of the training run. */
  readonly training: TrainingProgress | null;
  /** Training jobs: the model version they made (or were making); searches: the best trial's version. */
  readonly resultVersion: number | null;
  /** ISO 8601 times. */
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

/** A job as stored: a tagged union by kind (`job.kind` narrows `params` and `result`). */
export type JobRecord =
  | (JobFields & { readonly kind: 'score'; readonly params: ScoreParams; readonly result: null })
  | (JobFields & { readonly kind: 'train'; readonly params: TrainParams; readonly result: null })
  | (JobFields & { readonly kind: 'search'; readonly params: SearchParams; readonly result: SearchResult | null });

/** The record of a job of one kind. */
export type JobOf<K extends JobKind> = Extract<JobRecord, { readonly kind: K }>;

/**
 * Fields a running job may report without changing its status (`JobStore.progress`, and the final
 * figures given to `succeed`, `fail` and `cancel`). `result` is a search's trial table.
 */
export interface JobProgress {
  readonly processed?: number;
  readonly failed?: number;
  readonly total?: number;
  readonly clipsPerSecond?: number;
  readonly etaSeconds?: number | null;
  readonly training?: TrainingProgress | null;
  readonly resultVersion?: number | null;
  readonly result?: SearchResult | null;
}
