import { realpathSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import type { EnginePool } from '../engine/index.js';
import { describeValue, isKwsError, KwsError } from '../errors/index.js';
import { validateThresholds } from '../inference/index.js';
import type { ModelRegistry } from '../registry/index.js';
import type { JobRecord, JobStore } from './job-store.js';
import { scoreTestSet } from './score.js';

/** Input of a bulk-scoring job (GraphQL `scoreTestSet`). */
export interface ScoreJobInput {
  /** Test folder (`audio/*.wav`), inside one of the allowed roots. */
  readonly dir: string;
  readonly modelVersion?: number | null;
  readonly unknownThreshold?: number | null;
  /** Also write all 12 probabilities per clip. Default true. */
  readonly probabilities?: boolean | null;
}

/** The files a finished scoring job leaves in its output folder. */
export const JOB_OUTPUTS = { submission: 'submission.csv', probabilities: 'probabilities.csv', errors: 'errors.csv' } as const;

/** Options of the {@link JobRunner}. */
export interface JobRunnerOptions {
  /** Folders that may be scored; a `dir` outside all of them is refused (`PATH_NOT_ALLOWED`). */
  readonly allowedRoots: readonly string[];
  /** Where each job gets its output folder `<outputRoot>/<id>/`. */
  readonly outputRoot: string;
  /** Clips per worker task. Default 256. */
  readonly chunkSize?: number;
}

/**
 * Runs jobs one at a time in the background, off the request path (the work itself happens in the
 * engine's worker threads). Jobs, their progress and scoring checkpoints live in SQLite, so a job
 * interrupted by a crash or a restart is resumed by {@link resumeInterrupted} where it stopped.
 */
export class JobRunner {
  private readonly queue: number[] = [];
  private running: { id: number; cancel: AbortController; shutdown: boolean; done: Promise<void> } | null = null;
  private closed = false;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly pool: EnginePool,
    readonly store: JobStore,
    private readonly options: JobRunnerOptions,
  ) {}

  /**
   * Checks and queues a bulk-scoring job; returns it QUEUED.
   *
   * @throws KwsError `PATH_NOT_ALLOWED` for a folder outside the allowed roots, `FILE_NOT_FOUND` for a
   *   missing one, `NOT_FOUND` for an unknown version, `INVALID_ARGUMENT` for a bad threshold.
   */
  submitScore(input: ScoreJobInput): JobRecord {
    const dir = this.allowedDir(input.dir);
    const version = this.registry.resolve(input.modelVersion ?? undefined).version;
    if (input.unknownThreshold !== undefined && input.unknownThreshold !== null) validateThresholds({ unknownThreshold: input.unknownThreshold, silenceThresholdDbfs: Number.NEGATIVE_INFINITY });
    const job = this.store.create('score', { dir, modelVersion: version, unknownThreshold: input.unknownThreshold ?? null, probabilities: input.probabilities ?? true });
    this.store.update(job.id, { outputDir: join(this.options.outputRoot, String(job.id)) });
    this.enqueue(job.id);
    return this.store.require(job.id);
  }

  /**
   * Cancels a queued or running job (a running one stops after the chunks in flight).
   *
   * @throws KwsError `NOT_FOUND`, or `JOB_NOT_FINISHED` for a job that has already ended.
   */
  async cancel(id: number): Promise<JobRecord> {
    const job = this.store.require(id);
    if (job.status === 'QUEUED') {
      this.queue.splice(this.queue.indexOf(id), 1);
      return this.store.update(id, { status: 'CANCELLED', finishedAt: new Date().toISOString() });
    }
    if (job.status !== 'RUNNING') throw new KwsError('JOB_NOT_FINISHED', `job ${id} has already ended (${job.status}); only QUEUED or RUNNING jobs can be cancelled`);
    if (this.running?.id === id) {
      this.running.cancel.abort();
      await this.running.done;
    }
    return this.store.require(id);
  }

  /** Requeues the jobs a previous process left QUEUED or RUNNING (oldest first); RUNNING ones resume from their checkpoint. */
  resumeInterrupted(): void {
    for (const job of [...this.store.list('RUNNING'), ...this.store.list('QUEUED')].sort((a, b) => a.id - b.id)) this.enqueue(job.id);
  }

  /** Stops taking jobs; a running job is interrupted and stays RUNNING, to resume at the next start. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.running !== null) {
      this.running.shutdown = true;
      this.running.cancel.abort();
      await this.running.done;
    }
  }

  /** The path of one output file of a succeeded job. @throws KwsError `NOT_FOUND`, `JOB_NOT_FINISHED`. */
  outputPath(id: number, file: keyof typeof JOB_OUTPUTS): string {
    const job = this.store.require(id);
    if (job.status !== 'SUCCEEDED' || job.outputDir === null) throw new KwsError('JOB_NOT_FINISHED', `job ${id} is ${job.status}; its files are ready once it has SUCCEEDED`);
    if (file === 'probabilities' && job.params['probabilities'] === false) throw new KwsError('NOT_FOUND', `job ${id} was run without probabilities`);
    return join(job.outputDir, JOB_OUTPUTS[file]);
  }

  private allowedDir(dir: string): string {
    if (typeof dir !== 'string' || dir.trim() === '') throw new KwsError('INVALID_ARGUMENT', `dir must name a test folder, got ${describeValue(dir)}`);
    const within = (root: string, path: string): boolean => {
      const rel = relative(root, path);
      return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
    };
    const roots = this.options.allowedRoots.map((root) => {
      try {
        return realpathSync(root);
      } catch {
        return root;
      }
    });
    if (!isAbsolute(dir) || !roots.some((root) => within(root, dir))) {
      throw new KwsError('PATH_NOT_ALLOWED', `${describeValue(dir)} is not inside a folder this server may score (${roots.join(', ')}); give an absolute path under one of them, or start the server with --score-root`);
    }
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      throw new KwsError('FILE_NOT_FOUND', `test folder ${dir} does not exist`);
    }
    if (!roots.some((root) => within(root, real))) throw new KwsError('PATH_NOT_ALLOWED', `${dir} resolves (through a link) to ${real}, outside the folders this server may score`);
    return real;
  }

  private enqueue(id: number): void {
    if (!this.queue.includes(id) && this.running?.id !== id) this.queue.push(id);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.running !== null || this.closed) return;
    const id = this.queue.shift();
    if (id === undefined) return;
    const cancel = new AbortController();
    let finish: () => void = () => undefined;
    this.running = { id, cancel, shutdown: false, done: new Promise<void>((resolve) => (finish = resolve)) };
    try {
      await this.runScore(id, cancel.signal);
    } finally {
      this.running = null;
      finish();
      void this.drain();
    }
  }

  private async runScore(id: number, signal: AbortSignal): Promise<void> {
    const job = this.store.require(id);
    const resume = job.status === 'RUNNING';
    this.store.update(id, { status: 'RUNNING', error: null, ...(resume ? {} : { startedAt: new Date().toISOString() }) });
    const outputDir = job.outputDir ?? join(this.options.outputRoot, String(id));
    try {
      const params = job.params as { dir: string; modelVersion: number; unknownThreshold: number | null; probabilities: boolean };
      const summary = await scoreTestSet(this.registry, this.pool, this.store, {
        dir: params.dir,
        out: join(outputDir, JOB_OUTPUTS.submission),
        probabilitiesOut: params.probabilities ? join(outputDir, JOB_OUTPUTS.probabilities) : null,
        errorsOut: join(outputDir, JOB_OUTPUTS.errors),
        modelVersion: params.modelVersion,
        unknownThreshold: params.unknownThreshold,
        ...(this.options.chunkSize === undefined ? {} : { chunkSize: this.options.chunkSize }),
        resume,
        checkpointKey: `job:${id}`,
        signal,
        onProgress: (p) => {
          this.store.update(id, { processed: p.processed, failed: p.failed, total: p.total, clipsPerSecond: p.clipsPerSecond, etaSeconds: p.etaSeconds });
        },
      });
      const shutdown = this.running?.shutdown === true;
      if (summary.cancelled && shutdown) return; // stays RUNNING: resumed at the next start
      this.store.update(id, { status: summary.cancelled ? 'CANCELLED' : 'SUCCEEDED', processed: summary.processed, failed: summary.failed, total: summary.total, etaSeconds: summary.cancelled ? null : 0, finishedAt: new Date().toISOString() });
    } catch (error) {
      const message = isKwsError(error) ? `${error.code}: ${error.message}` : `INTERNAL: ${error instanceof Error ? error.message : String(error)}`;
      this.store.update(id, { status: 'FAILED', error: message, finishedAt: new Date().toISOString() });
    }
  }
}
