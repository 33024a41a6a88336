import { join } from 'node:path';
import type { EnginePool } from '../engine/index.js';
import { isKwsError, KwsError } from '../errors/index.js';
import type { ModelRegistry } from '../registry/index.js';
import { EmbeddedJobQueue } from './embedded-queue.js';
import type { InternalErrorHandler } from './job-error.js';
import type { JobQueue } from './job-queue.js';
import { isActive } from './job-record.js';
import type { JobRecord } from './job-record.js';
import type { JobStore } from './job-store.js';
import { PathPolicy } from './path-policy.js';
import { checkedVersionTask, makeVersionInWorker } from './version-task.js';
import type { VersionTask } from '../training/index.js';
import { JOB_OUTPUTS, scoreParamsOf } from './score-job.js';
import type { ScoreJobInput } from './score-job.js';
import { searchParamsOf } from './search-job.js';
import type { SearchInput } from './search-job.js';
import { trainParamsOf } from './train-job.js';
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
  readonly onInternalError?: InternalErrorHandler;
  /**
   * Where jobs run. Default: an `EmbeddedJobQueue` over this runner's registry, pool, store and
   * options (one job at a time in this process); a `RedisJobQueue` for `kws worker` processes.
   */
  readonly queue?: JobQueue;
}

/**
 * The jobs of a server (or a CLI): checks each request, records it QUEUED in the job store and
 * hands it to its {@link JobQueue}, the embedded one (one job at a time in this process, the
 * default) or BullMQ on Redis (`RedisJobQueue`, run by `kws worker` processes anywhere); cancels,
 * names output files, and makes ensembles and imports now. Records, progress and results are the
 * job store's, so they read the same whichever queue runs the jobs.
 */
export class JobRunner {
  private closed = false;
  /** The version being made by `makeVersion` (one at a time), and how to stop it at shutdown. */
  private making: { readonly done: Promise<unknown>; readonly controller: AbortController } | null = null;
  private readonly paths: PathPolicy;
  /** Where recorded jobs run. */
  readonly queue: JobQueue;

  constructor(
    private readonly registry: ModelRegistry,
    pool: EnginePool,
    readonly store: JobStore,
    private readonly options: JobRunnerOptions,
  ) {
    this.paths = new PathPolicy(options.allowedRoots);
    this.queue =
      options.queue ??
      new EmbeddedJobQueue(registry, pool, store, {
        outputRoot: options.outputRoot,
        chunkSize: options.chunkSize,
        dbPath: options.dbPath,
        onVersion: (version) => options.onVersion?.(version),
        onInternalError: options.onInternalError,
      });
  }

  /**
   * Checks and queues a bulk-scoring job; returns it (RUNNING when nothing else runs).
   *
   * @throws KwsError `PATH_NOT_ALLOWED` for a folder outside the allowed roots, `FILE_NOT_FOUND` for a
   *   missing one, `NOT_FOUND` for an unknown version, `INVALID_ARGUMENT` for a bad threshold.
   */
  submitScore(input: ScoreJobInput): Promise<JobRecord> {
    const params = scoreParamsOf(input, this.paths, this.registry);
    return this.submit(this.store.create({ kind: 'score', params }, (id) => join(this.options.outputRoot, String(id))));
  }

  /**
   * Checks and queues a training job; returns it (RUNNING when nothing else runs). The version it
   * makes does not serve until promoted (`production` moves only by promotion).
   *
   * @throws KwsError `PATH_NOT_ALLOWED`, `FILE_NOT_FOUND`, `NOT_FOUND` (base version), `INVALID_ARGUMENT`.
   */
  submitTrain(input: RetrainInput): Promise<JobRecord> {
    const params = trainParamsOf(input, this.paths, this.registry);
    return this.submit(this.store.create({ kind: 'train', params }));
  }

  /**
   * Checks and queues a hyperparameter search; returns it. Trials become model versions that serve
   * only once promoted.
   *
   * @throws KwsError `PATH_NOT_ALLOWED`, `FILE_NOT_FOUND`, `INVALID_ARGUMENT` (space, trials, metric).
   */
  submitSearch(input: SearchInput): Promise<JobRecord> {
    const params = searchParamsOf(input, this.paths);
    return this.submit(this.store.create({ kind: 'search', params }));
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
    return this.queue.cancel(job);
  }

  /**
   * Picks up the jobs a previous process left QUEUED or RUNNING (see `EmbeddedJobQueue`: a scoring
   * job resumes from its checkpoint, a training job or search is FAILED `INTERRUPTED`); with Redis,
   * the queue keeps its own jobs and nothing is done here.
   */
  resumeInterrupted(): void {
    this.queue.resumeInterrupted();
  }

  /** Stops taking jobs; a running job is interrupted (a scoring job stays RUNNING, to resume at the next start). */
  async close(): Promise<void> {
    this.closed = true;
    const making = this.making;
    if (making !== null) {
      making.controller.abort(); // the worker is terminated and its reserved version abandoned
      await making.done;
    }
    await this.queue.close();
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

  /**
   * Hands a recorded job to the queue; returns it as it is then (RUNNING when the embedded queue
   * had nothing else to run).
   *
   * @throws KwsError `NOT_READY` when the queue cannot take it, or what planning it threw (an empty
   *   folder); the record is then removed: a refused submission leaves none.
   */
  private async submit(job: JobRecord): Promise<JobRecord> {
    try {
      await this.queue.enqueue(job);
    } catch (error) {
      this.store.discard(job.id);
      throw error;
    }
    return this.store.require(job.id);
  }
}
