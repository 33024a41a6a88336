import type { EnginePool } from '../engine/index.js';
import type { ModelRegistry } from '../registry/index.js';
import type { ScoreCheckpointStore } from '../storage/index.js';
import type { JobError } from './job-error.js';
import type { JobStore } from './job-store.js';

/**
 * Why a running job (or part of one) was asked to stop: a user's cancel, a shutdown of the runner,
 * or, on a `kws worker`, the loss of the part's lock in Redis (`lost`: another worker has been
 * handed the part, so this one stops and writes nothing about it).
 */
export type StopReason = 'cancel' | 'shutdown' | 'lost';

/** The reason a job's signal was aborted with, or null while it runs on. */
export function stopReason(signal: AbortSignal): StopReason | null {
  if (!signal.aborted) return null;
  return signal.reason === 'shutdown' || signal.reason === 'lost' ? signal.reason : 'cancel';
}

/** What a processor (score-job.ts, train-job.ts, search-job.ts) gets to run one claimed job. */
export interface JobContext {
  readonly registry: ModelRegistry;
  readonly pool: EnginePool;
  readonly store: JobStore;
  readonly checkpoints: ScoreCheckpointStore;
  /** The SQLite file training workers open (the registry's `kws.db`). */
  readonly dbPath: string;
  /** Where scoring jobs without a stored output folder write: `<outputRoot>/<id>/`. */
  readonly outputRoot: string;
  /** Clips per scoring chunk; undefined for scoreTestSet's default (256). */
  readonly chunkSize: number | undefined;
  /** Aborted (with a {@link StopReason}) when the job is cancelled or the runner shuts down. */
  readonly signal: AbortSignal;
  /** Called when a training run has made a new version. */
  readonly onVersion: (version: number) => void;
  /**
   * The stored form of what the job failed with (`toJobError`): an unexpected error is masked as
   * `INTERNAL` and reported, with its stack as `cause`, to the runner's `onInternalError`.
   */
  errorOf(error: unknown): JobError;
}
