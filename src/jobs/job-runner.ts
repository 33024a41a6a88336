import { join } from 'node:path';
import type { EnginePool } from '../engine/index.js';
import { isKwsError, KwsError, UnreachableCaseError } from '../errors/index.js';
import type { ModelRegistry } from '../registry/index.js';
import type { JobContext, StopReason } from './job-context.js';
import { toJobError } from './job-error.js';
import type { JobError } from './job-error.js';
import { isActive } from './job-record.js';
import type { JobKind, JobRecord } from './job-record.js';
import type { JobStore } from './job-store.js';
import { PathPolicy } from './path-policy.js';
import { checkedVersionTask, makeVersionInWorker } from './version-task.js';
import type { VersionTask } from '../training/index.js';
import { JOB_OUTPUTS, runScoreJob, scoreParamsOf } from './score-job.js';
import type { ScoreJobInput } from './score-job.js';
import { runSearchJob, searchParamsOf } from './search-job.js';
import type { SearchInput } from './search-job.js';
import { runTrainJob, trainParamsOf } from './train-job.js';
import type { RetrainInput } from './train-job.js';

/** Options of the {@link JobRunner}. */
export interface JobRunnerOptions {
  /** Folders that may be scored or trained on; a folder outside all of them is refused (`PATH_NOT_ALLOWED`). */
  readonly allowedRoots: readonly string[];
  /** Where each scoring job gets its output folder `<outputRoot>/<id>/`. */
  readonly outputRoot: string;
  /** Clips per worker task. Default 256. */
  readonly chunkSize?: number;
  /** The SQLite file training workers open (the registry's `kws.db`). */
  readonly dbPath: string;
  /** Called when a training job has made a new version (e.g. to log it). */
  readonly onVersion?: (version: number) => void;
  /**
   * Called with an unexpected error a job failed with: a `KwsError` `INTERNAL` naming the job, the
   * original error (with its stack) as its `cause`. The job itself stores only `INTERNAL` and a
   * masked message, as API errors are masked. Default: printed to stderr.
   */
  readonly onInternalError?: (error: KwsError, jobId: number) => void;
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
function versionsInTraining(job: JobRecord): number[] {
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
 * Runs jobs one at a time in the background, off the request path (the work itself happens in
 * worker threads): a queue, claimed through the job store's atomic moves, each job handed to the
 * processor of its kind (score-job.ts, train-job.ts, search-job.ts). Jobs, their progress and the
 * scoring checkpoints live in SQLite, so a job interrupted by a crash or a restart is picked up by
 * {@link resumeInterrupted}: a scoring job is reclaimed where it stopped, a training job FAILED.
 */
export class JobRunner {
  private readonly queue: number[] = [];
  private running: { readonly id: number; readonly controller: AbortController; readonly done: Promise<void> } | null =
    null;
  private closed = false;
  /** The version being made by `makeVersion` (one at a time), and how to stop it at shutdown. */
  private making: { readonly done: Promise<unknown>; readonly controller: AbortController } | null = null;
  private readonly paths: PathPolicy;
  /**
   * The jobs an earlier process left QUEUED or RUNNING, read when this runner was made: only these
   * are resumed, never a job submitted to this process before {@link resumeInterrupted} runs.
   */
  private readonly interrupted: readonly number[];

  constructor(
    private readonly registry: ModelRegistry,
    private readonly pool: EnginePool,
    readonly store: JobStore,
    private readonly options: JobRunnerOptions,
  ) {
    this.paths = new PathPolicy(options.allowedRoots);
    this.interrupted = [...store.list('RUNNING'), ...store.list('QUEUED')].map((job) => job.id).sort((a, b) => a - b);
  }

  /**
   * Checks and queues a bulk-scoring job; returns it (RUNNING when nothing else runs).
   *
   * @throws KwsError `PATH_NOT_ALLOWED` for a folder outside the allowed roots, `FILE_NOT_FOUND` for a
   *   missing one, `NOT_FOUND` for an unknown version, `INVALID_ARGUMENT` for a bad threshold.
   */
  submitScore(input: ScoreJobInput): JobRecord {
    const params = scoreParamsOf(input, this.paths, this.registry);
    const job = this.store.create({ kind: 'score', params }, (id) => join(this.options.outputRoot, String(id)));
    this.enqueue(job.id);
    return this.store.require(job.id);
  }

  /**
   * Checks and queues a training job; returns it (RUNNING when nothing else runs). The version it
   * makes does not serve until promoted (`production` moves only by promotion).
   *
   * @throws KwsError `PATH_NOT_ALLOWED`, `FILE_NOT_FOUND`, `NOT_FOUND` (base version), `INVALID_ARGUMENT`.
   */
  submitTrain(input: RetrainInput): JobRecord {
    const params = trainParamsOf(input, this.paths, this.registry);
    const job = this.store.create({ kind: 'train', params });
    this.enqueue(job.id);
    return this.store.require(job.id);
  }

  /**
   * Checks and queues a hyperparameter search; returns it. Trials become model versions that serve
   * only once promoted.
   *
   * @throws KwsError `PATH_NOT_ALLOWED`, `FILE_NOT_FOUND`, `INVALID_ARGUMENT` (space, trials, metric).
   */
  submitSearch(input: SearchInput): JobRecord {
    const params = searchParamsOf(input, this.paths);
    const job = this.store.create({ kind: 'search', params });
    this.enqueue(job.id);
    return this.store.require(job.id);
  }

  /**
   * Cancels a queued or running job (a running one stops after the chunks in flight; a training
   * worker is terminated and its version abandoned).
   *
   * @throws KwsError `NOT_FOUND`, or `ILLEGAL_TRANSITION` for a job that has already ended (cancelling twice included).
   */
  async cancel(id: number): Promise<JobRecord> {
    const job = this.store.require(id);
    if (!isActive(job.status))
      throw new KwsError(
        'ILLEGAL_TRANSITION',
        `job ${id} has already ended (${job.status}); only QUEUED or RUNNING jobs can be cancelled`,
      );
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
   * runner was made): a RUNNING scoring job is reclaimed and resumes from its checkpoint; a training
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
        this.enqueue(id);
      }
    }
  }

  /** Stops taking jobs; a running job is interrupted (a scoring job stays RUNNING, to resume at the next start). */
  async close(): Promise<void> {
    this.closed = true;
    const making = this.making;
    if (making !== null) {
      making.controller.abort(); // the worker is terminated and its reserved version abandoned
      await making.done;
    }
    const running = this.running;
    if (running !== null) {
      running.controller.abort('shutdown' satisfies StopReason);
      await running.done;
    }
  }

  /** The path of one output file of a succeeded scoring job. @throws KwsError `NOT_FOUND`, `JOB_NOT_FINISHED`. */
  outputPath(id: number, file: keyof typeof JOB_OUTPUTS): string {
    const job = this.store.require(id);
    if (job.status !== 'SUCCEEDED' || job.outputDir === null)
      throw new KwsError('JOB_NOT_FINISHED', `job ${id} is ${job.status}; its files are ready once it has SUCCEEDED`);
    if (file === 'probabilities' && job.kind === 'score' && !job.params.probabilities)
      throw new KwsError('NOT_FOUND', `job ${id} was run without probabilities`);
    return join(job.outputDir, JOB_OUTPUTS[file]);
  }

  /**
   * Makes an ensemble or imports a model as a new version, in a worker thread, now (not queued: it
   * takes seconds); its paths must lie inside the allowed roots. The version serves only once promoted.
   *
   * @throws KwsError `PATH_NOT_ALLOWED`, `FILE_NOT_FOUND`, `FILE_UNREADABLE` for a path; `OVERLOADED`
   *   while another version is being made; `NOT_READY` once closing; the maker's refusals
   *   (`INVALID_ARGUMENT`, `NOT_FOUND`, `MALFORMED`) with their messages.
   */
  makeVersion(task: VersionTask): Promise<number> {
    if (this.closed) throw new KwsError('NOT_READY', 'the server is shutting down');
    if (this.making !== null)
      throw new KwsError(
        'OVERLOADED',
        'another version is being made (createEnsemble or importModelVersion, one at a time); try again when it is done',
      );
    const checked = checkedVersionTask(task, this.paths, this.registry);
    const controller = new AbortController();
    const made = makeVersionInWorker(this.registry, checked, controller.signal);
    const done = made.then(
      () => undefined,
      () => undefined,
    );
    this.making = { done, controller };
    void done.then(() => {
      this.making = null;
    });
    return made;
  }

  /**
   * The real path of a folder the server may read (test sets to score, datasets to train on).
   *
   * @throws KwsError as {@link PathPolicy.allowedDir}: `PATH_NOT_ALLOWED`, `FILE_NOT_FOUND`,
   *   `FILE_UNREADABLE`, `INVALID_ARGUMENT`.
   */
  allowedDir(dir: string): string {
    return this.paths.allowedDir(dir);
  }

  /**
   * Whether a file lies inside the folders the server may read, links resolved: false only for
   * `PATH_NOT_ALLOWED` (a missing or odd file is left for its reader to report).
   */
  mayRead(file: string): boolean {
    try {
      this.paths.allowedFile(file);
      return true;
    } catch (error) {
      return !(isKwsError(error) && error.code === 'PATH_NOT_ALLOWED');
    }
  }

  /**
   * The real path of a regular file the server may read (a dataset clip the dashboard plays).
   *
   * @throws KwsError as {@link PathPolicy.allowedFile}.
   */
  allowedFile(file: string): string {
    return this.paths.allowedFile(file);
  }

  private enqueue(id: number): void {
    if (!this.queue.includes(id) && this.running?.id !== id) this.queue.push(id);
    void this.drain();
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
        await this.process(job, this.context(id, controller.signal));
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

  private async process(job: JobRecord, ctx: JobContext): Promise<void> {
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
      onVersion: (version) => this.options.onVersion?.(version),
      errorOf: (error) => this.errorOf(id, error),
    };
  }

  /** The stored form of an error; an unexpected one is reported with its stack and masked. */
  private errorOf(id: number, error: unknown): JobError {
    const { error: stored, masked } = toJobError(error);
    if (masked) {
      const report = new KwsError('INTERNAL', `job ${id} failed unexpectedly`, { cause: error });
      if (this.options.onInternalError === undefined) console.error(report);
      else this.options.onInternalError(report, id);
    }
    return stored;
  }

  /**
   * A processor (or the claim) threw: a job this runner claimed and that is still RUNNING ends
   * FAILED with the masked error; one that another runner claimed first is left alone.
   */
  private unexpected(id: number, error: unknown, claimed: boolean): void {
    const stored = this.errorOf(id, error);
    if (!claimed) return;
    try {
      if (this.store.get(id)?.status === 'RUNNING') this.store.fail(id, stored);
    } catch (failed) {
      this.errorOf(id, failed);
    }
  }
}
