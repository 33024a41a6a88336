import type { EnginePool } from '../engine/index.js';
import { UnreachableCaseError } from '../errors/index.js';
import type { ModelRegistry } from '../registry/index.js';
import type { JobContext, StopReason } from './job-context.js';
import { storedJobError } from './job-error.js';
import type { InternalErrorHandler } from './job-error.js';
import type { JobQueue } from './job-queue.js';
import { isActive } from './job-record.js';
import type { JobKind, JobRecord } from './job-record.js';
import type { JobStore } from './job-store.js';
import { runScoreJob } from './score-job.js';
import { runSearchJob } from './search-job.js';
import { runTrainJob } from './train-job.js';

/** What the embedded queue runs jobs with (the runner's options that concern running). */
export interface EmbeddedQueueOptions {
  /** Where scoring jobs without a stored output folder write: `<outputRoot>/<id>/`. */
  readonly outputRoot: string;
  /** Clips per scoring chunk; undefined for scoreTestSet's default (256). */
  readonly chunkSize: number | undefined;
  /** The SQLite file training workers open (the registry's `kws.db`). */
  readonly dbPath: string;
  readonly onVersion: (version: number) => void;
  readonly onInternalError: InternalErrorHandler | undefined;
}

/** Whether a job of this kind left RUNNING by a process that died can carry on in the next one. */
function resumable(kind: JobKind): boolean {
  switch (kind) {
    case 'score':
      return true; // from its checkpoint
    case 'train':
    case 'search':
      return false; // a training run cannot resume
    default:
      throw new UnreachableCaseError(kind);
  }
}

/** The versions a RUNNING job was making when its process stopped (to abandon). */
export function versionsInTraining(job: JobRecord): number[] {
  switch (job.kind) {
    case 'score':
      return [];
    case 'train':
      return job.resultVersion === null ? [] : [job.resultVersion];
    case 'search':
      return (job.result?.trials ?? []).flatMap((t) =>
        t.status === 'RUNNING' && t.version !== null ? [t.version] : [],
      );
    default:
      throw new UnreachableCaseError(job);
  }
}

/**
 * The processor of a claimed job's kind (score-job.ts, train-job.ts, search-job.ts). Each ends the
 * job itself (SUCCEEDED, FAILED, CANCELLED), or leaves a scoring job RUNNING on a shutdown.
 */
export async function processJob(job: JobRecord, ctx: JobContext): Promise<void> {
  switch (job.kind) {
    case 'score':
      return runScoreJob(job, ctx);
    case 'train':
      return runTrainJob(job, ctx);
    case 'search':
      return runSearchJob(job, ctx);
    default:
      throw new UnreachableCaseError(job);
  }
}

/**
 * The embedded job queue, the default: jobs run one at a time in this process, off the request
 * path (the work itself happens in worker threads), claimed through the job store's atomic moves.
 * Jobs, their progress and the scoring checkpoints live in SQLite, so a job interrupted by a crash
 * or a restart is picked up by {@link resumeInterrupted}: a scoring job is reclaimed where it
 * stopped, a training job FAILED.
 */
export class EmbeddedJobQueue implements JobQueue {
  readonly backend = 'embedded' as const;
  private readonly queue: number[] = [];
  private running: { readonly id: number; readonly controller: AbortController; readonly done: Promise<void> } | null =
    null;
  private closed = false;
  /**
   * The jobs an earlier process left QUEUED or RUNNING, read when this queue was made: only these
   * are resumed, never a job submitted to this process before {@link resumeInterrupted} runs.
   */
  private readonly interrupted: readonly number[];

  constructor(
    private readonly registry: ModelRegistry,
    private readonly pool: EnginePool,
    private readonly store: JobStore,
    private readonly options: EmbeddedQueueOptions,
  ) {
    this.interrupted = [...store.list('RUNNING'), ...store.list('QUEUED')].map((job) => job.id).sort((a, b) => a - b);
  }

  /** Queues the job; it is claimed (RUNNING) before this returns when nothing else runs. */
  enqueue(job: JobRecord): Promise<void> {
    if (!this.queue.includes(job.id) && this.running?.id !== job.id) this.queue.push(job.id);
    void this.drain();
    return Promise.resolve();
  }

  async cancel(job: JobRecord): Promise<JobRecord> {
    const { id } = job;
    const running = this.running;
    if (running?.id === id) {
      running.controller.abort('cancel' satisfies StopReason);
      await running.done;
      return this.store.require(id);
    }
    // Queued here, or left QUEUED/RUNNING by an earlier process and not resumed yet.
    const at = this.queue.indexOf(id);
    if (at >= 0) this.queue.splice(at, 1);
    if (job.status === 'RUNNING')
      for (const version of versionsInTraining(job)) this.registry.abandon(version, 'training was cancelled');
    return this.store.cancel(id);
  }

  /**
   * Requeues the jobs a previous process left QUEUED or RUNNING (oldest first; those found when this
   * queue was made): a RUNNING scoring job is reclaimed and resumes from its checkpoint; a training
   * job or search cannot, so it is FAILED (`INTERRUPTED`) and its half-made version abandoned. Jobs
   * submitted to this process are never touched.
   */
  resumeInterrupted(): void {
    for (const id of this.interrupted) {
      const job = this.store.require(id);
      if (!isActive(job.status)) continue; // cancelled meanwhile
      if (job.status === 'RUNNING' && !resumable(job.kind)) {
        for (const version of versionsInTraining(job))
          this.registry.abandon(version, 'training was interrupted by a restart');
        this.store.fail(id, {
          code: 'INTERRUPTED',
          message: 'training was interrupted by a restart of the server; submit it again',
        });
      } else {
        void this.enqueue(job);
      }
    }
  }

  /** Stops taking jobs; a running job is interrupted (a scoring job stays RUNNING, to resume at the next start). */
  async close(): Promise<void> {
    this.closed = true;
    const running = this.running;
    if (running !== null) {
      running.controller.abort('shutdown' satisfies StopReason);
      await running.done;
    }
  }

  private async drain(): Promise<void> {
    if (this.running !== null || this.closed) return;
    const id = this.queue.shift();
    if (id === undefined) return;
    const controller = new AbortController();
    let finish: () => void = () => undefined;
    this.running = { id, controller, done: new Promise<void>((resolve) => (finish = resolve)) };
    let claimed = false;
    try {
      const job = this.claim(id);
      if (job !== null) {
        claimed = true;
        await processJob(job, this.context(id, controller.signal));
      }
    } catch (error) {
      this.unexpected(id, error, claimed);
    } finally {
      this.running = null;
      finish();
      void this.drain();
    }
  }

  /**
   * Claims a job to run (synchronously, so a submitted job is RUNNING when submit returns): QUEUED
   * is started, RUNNING (left by an earlier process) reclaimed; a finished one is skipped (null).
   *
   * @throws KwsError `ILLEGAL_TRANSITION` when another runner claimed it first.
   */
  private claim(id: number): JobRecord | null {
    const job = this.store.require(id);
    switch (job.status) {
      case 'QUEUED':
        return this.store.start(id);
      case 'RUNNING':
        return this.store.reclaim(id, job.attempt);
      case 'SUCCEEDED':
      case 'FAILED':
      case 'CANCELLED':
        return null;
      default:
        throw new UnreachableCaseError(job.status);
    }
  }

  private context(id: number, signal: AbortSignal): JobContext {
    return {
      registry: this.registry,
      pool: this.pool,
      store: this.store,
      checkpoints: this.store.checkpoints,
      dbPath: this.options.dbPath,
      outputRoot: this.options.outputRoot,
      chunkSize: this.options.chunkSize,
      signal,
      onVersion: (version) => this.options.onVersion(version),
      errorOf: (error) => storedJobError(id, error, this.options.onInternalError),
    };
  }

  /**
   * A processor (or the claim) threw: a job this queue claimed and that is still RUNNING ends
   * FAILED with the masked error; one that another runner claimed first is left alone.
   */
  private unexpected(id: number, error: unknown, claimed: boolean): void {
    const report = (e: unknown): ReturnType<typeof storedJobError> =>
      storedJobError(id, e, this.options.onInternalError);
    const stored = report(error);
    if (!claimed) return;
    try {
      if (this.store.get(id)?.status === 'RUNNING') this.store.fail(id, stored);
    } catch (failed) {
      report(failed);
    }
  }
}
