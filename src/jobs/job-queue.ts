import { KwsError } from '../errors/index.js';
import type { JobRecord } from './job-record.js';

/** Which queue runs a runner's jobs. */
export type JobQueueBackend = 'embedded' | 'redis' | 'none';

/**
 * Where recorded jobs run. The {@link JobRunner} checks a request, records the job QUEUED in the
 * job store, then hands it to its queue: the embedded queue (`EmbeddedJobQueue`, the default:
 * nothing to install) runs jobs one at a time in this process; the BullMQ queue
 * (`RedisJobQueue`) puts them on Redis for `kws worker` processes on any machine that sees the same
 * model repository and data. Job records, progress and results stay in the job store either way,
 * so GraphQL and the CLI read them the same.
 */
export interface JobQueue {
  readonly backend: JobQueueBackend;
  /**
   * Hands over a job just recorded QUEUED.
   *
   * @throws KwsError `NOT_READY` when the queue cannot take it now (Redis unreachable, closing);
   *   `JobRunner` then removes the record, so that none waits for a run that will never come.
   */
  enqueue(job: JobRecord): Promise<void>;
  /**
   * Stops a QUEUED or RUNNING job wherever it runs and ends it CANCELLED (a running scoring job
   * after the chunks in flight; a training run's half-made version is abandoned).
   *
   * @returns The job as it ended.
   */
  cancel(job: JobRecord): Promise<JobRecord>;
  /** Picks up the jobs an earlier process left QUEUED or RUNNING (embedded); Redis keeps its own. */
  resumeInterrupted(): void;
  /** Stops taking jobs; what runs here stops (a scoring job stays RUNNING, to resume). */
  close(): Promise<void>;
}

/**
 * The queue of a stateless serving replica without Redis (`kws serve --stateless`): it runs no
 * jobs, and says so; job records can still be read.
 */
export class NoJobQueue implements JobQueue {
  readonly backend = 'none' as const;

  enqueue(): Promise<void> {
    return Promise.reject(NoJobQueue.refusal());
  }

  cancel(): Promise<JobRecord> {
    return Promise.reject(NoJobQueue.refusal());
  }

  resumeInterrupted(): void {
    // another process's jobs: never this replica's to resume
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private static refusal(): KwsError {
    return new KwsError(
      'NOT_READY',
      'this replica runs no jobs (kws serve --stateless without --redis); start it with --redis redis://host:port to queue jobs for kws worker processes',
    );
  }
}
