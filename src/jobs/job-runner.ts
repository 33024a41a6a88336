import { realpathSync, statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../config/index.js';
import type { AugmentConfig } from '../data/index.js';
import type { TfjsBackendName } from '../engine/index.js';
import { ARCHITECTURES, isArchitecture } from '../model/index.js';
import type { Architecture } from '../model/index.js';
import { Rng } from '../data/index.js';
import { sampleRandom, suggestTpe, validateSearchSpace, validateTrainOptions } from '../training/index.js';
import type { Parameters, SearchSpace } from '../training/index.js';
import type { TrainingProgress, TrainWorkerData, TrainWorkerMessage } from '../training/index.js';
import { join, relative, isAbsolute } from 'node:path';
import type { EnginePool } from '../engine/index.js';
import { describeValue, isKwsError, KwsError, UnreachableCaseError } from '../errors/index.js';
import { validateThresholds } from '../inference/index.js';
import type { ModelRegistry } from '../registry/index.js';
import type { JobRecord, JobStore } from './job-store.js';
import { scoreTestSet } from './score-test-set.js';

/** Input of a bulk-scoring job (GraphQL `scoreTestSet`). */
export interface ScoreJobInput {
  /** Test folder (`audio/*.wav`), inside one of the allowed roots. */
  readonly dir: string;
  readonly modelVersion?: number | null;
  readonly unknownThreshold?: number | null;
  /** Also write all 12 probabilities per clip. Default true. */
  readonly probabilities?: boolean | null;
}

/** Input of a training job (GraphQL `retrain`); omitted fields take `kws train`'s defaults. */
export interface RetrainInput {
  /** Speech Commands dataset folder, inside one of the allowed roots. */
  readonly dataDir: string;
  readonly architecture?: Architecture | null;
  readonly epochs?: number | null;
  readonly batchSize?: number | null;
  readonly learningRate?: number | null;
  readonly patience?: number | null;
  readonly balancedSampling?: boolean | null;
  readonly augmentation?: Partial<AugmentConfig> | null;
  /** Start from this ready version (its architecture, features and weights). */
  readonly baseVersion?: number | null;
  /** With `baseVersion`: train only the classifier head on the frozen embedding. */
  readonly fineTuneOnly?: boolean | null;
  /** Train even when the training split lacks some of the 12 classes. Default false. */
  readonly allowMissingClasses?: boolean | null;
  readonly seed?: number | null;
  /** First TF.js backend to try. Default `tensorflow` (falls back to wasm, cpu). */
  readonly backend?: TfjsBackendName | null;
}

/** Strategies of a hyperparameter search. */
export type SearchStrategy = 'RANDOM' | 'TPE';

/** What a search optimises (higher is better), read from each trial's version. */
export type SearchMetric = 'validationAccuracy' | 'calibratedAccuracy';

/**
 * Input of a hyperparameter search (GraphQL `startSearch`). The space may hold `architecture`
 * (choices), `learningRate`, `dropout`, `l2` (floats, log scale for rates) and the augmentation
 * fields `noiseProbability`, `timeShiftMs`, `speedProbability`.
 */
export interface SearchInput {
  readonly dataDir: string;
  readonly space: SearchSpace;
  readonly strategy: SearchStrategy;
  /** Trials to run, 1 to 100. */
  readonly trials: number;
  readonly metric?: SearchMetric | null;
  /** Epochs per trial. Default 10. */
  readonly epochs?: number | null;
  readonly batchSize?: number | null;
  readonly patience?: number | null;
  /** Seed of the suggestions and of every trial's training. Default 1. */
  readonly seed?: number | null;
  /** Train even when the training split lacks some of the 12 classes. Default false. */
  readonly allowMissingClasses?: boolean | null;
}

/** The parameters a search may tune, and where each goes in the training options. */
export const SEARCHABLE = ['architecture', 'learningRate', 'dropout', 'l2', 'noiseProbability', 'timeShiftMs', 'speedProbability'] as const;

interface SearchParams {
  readonly dataDir: string;
  readonly space: SearchSpace;
  readonly strategy: SearchStrategy;
  readonly trials: number;
  readonly metric: SearchMetric;
  readonly epochs: number;
  readonly batchSize?: number;
  readonly patience?: number;
  readonly seed: number;
  readonly allowMissingClasses?: boolean;
}

/** One row of a search's trial table. */
export interface SearchTrial {
  readonly trial: number;
  readonly parameters: Parameters;
  version: number | null;
  metric: number | null;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  error: string | null;
}

function trainParams(search: SearchParams, p: Parameters, jobId: number): TrainWorkerData['options'] {
  const num = (name: string): number | undefined => (typeof p[name] === 'number' ? (p[name] as number) : undefined);
  const augment = Object.fromEntries((['noiseProbability', 'timeShiftMs', 'speedProbability'] as const).flatMap((k) => (num(k) === undefined ? [] : [[k, num(k)]])));
  const model = Object.fromEntries((['dropout', 'l2'] as const).flatMap((k) => (num(k) === undefined ? [] : [[k, num(k)]])));
  return {
    dataDir: search.dataDir,
    epochs: search.epochs,
    seed: search.seed,
    ...(search.batchSize === undefined ? {} : { batchSize: search.batchSize }),
    ...(search.patience === undefined ? {} : { patience: search.patience }),
    ...(search.allowMissingClasses === true ? { allowMissingClasses: true } : {}),
    ...(typeof p['architecture'] === 'string' ? { architecture: p['architecture'] as Architecture } : {}),
    ...(num('learningRate') === undefined ? {} : { learningRate: num('learningRate') as number }),
    ...(Object.keys(augment).length > 0 ? { augment } : {}),
    ...(Object.keys(model).length > 0 ? { model } : {}),
    searchJob: jobId,
  } as TrainWorkerData['options'];
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
  /** The SQLite file training workers open (the registry's `kws.db`). */
  readonly dbPath: string;
  /** Called when a training job has made a new version (e.g. to log it). */
  readonly onVersion?: (version: number) => void;
}

/**
 * Runs jobs one at a time in the background, off the request path (the work itself happens in the
 * engine's worker threads). Jobs, their progress and scoring checkpoints live in SQLite, so a job
 * interrupted by a crash or a restart is resumed by {@link resumeInterrupted} where it stopped.
 */
export class JobRunner {
  private readonly queue: number[] = [];
  private running: { id: number; cancel: AbortController; shutdown: boolean; done: Promise<void>; worker: Worker | null } | null = null;
  private closed = false;
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
    this.interrupted = [...store.list('RUNNING'), ...store.list('QUEUED')].map((job) => job.id).sort((a, b) => a - b);
  }

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
   * Checks and queues a training job; returns it QUEUED. The version it makes does not serve until
   * promoted: `production` is pinned to the version serving now.
   *
   * @throws KwsError `PATH_NOT_ALLOWED`, `FILE_NOT_FOUND`, `NOT_FOUND` (base version), `INVALID_ARGUMENT`.
   */
  submitTrain(input: RetrainInput): JobRecord {
    const dataDir = this.allowedDir(input.dataDir);
    if (input.baseVersion !== undefined && input.baseVersion !== null) this.registry.resolve(input.baseVersion);
    if (input.fineTuneOnly === true && (input.baseVersion === undefined || input.baseVersion === null)) throw new KwsError('INVALID_ARGUMENT', 'fineTuneOnly needs a baseVersion to start from');
    const drop = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;
    const params = drop({ dataDir, architecture: input.architecture, epochs: input.epochs, batchSize: input.batchSize, learningRate: input.learningRate, patience: input.patience, balanced: input.balancedSampling, augment: input.augmentation === null || input.augmentation === undefined ? undefined : drop(input.augmentation), baseVersion: input.baseVersion, fineTuneOnly: input.fineTuneOnly, allowMissingClasses: input.allowMissingClasses, seed: input.seed, backend: input.backend });
    validateTrainOptions(params as Omit<TrainWorkerData['options'], 'dataDir'>); // numbers and ranges now, not in the worker
    this.registry.pinProduction();
    const job = this.store.create('train', params);
    this.enqueue(job.id);
    return this.store.require(job.id);
  }

  /**
   * Checks and queues a hyperparameter search; returns it QUEUED. Trials become model versions that
   * serve only once promoted.
   *
   * @throws KwsError `PATH_NOT_ALLOWED`, `FILE_NOT_FOUND`, `INVALID_ARGUMENT` (space, trials, metric).
   */
  submitSearch(input: SearchInput): JobRecord {
    const dataDir = this.allowedDir(input.dataDir);
    validateSearchSpace(input.space);
    for (const name of Object.keys(input.space)) if (!(SEARCHABLE as readonly string[]).includes(name)) throw new KwsError('INVALID_ARGUMENT', `cannot search ${describeValue(name)}; searchable: ${SEARCHABLE.join(', ')}`);
    const arch = input.space['architecture'];
    if (arch !== undefined && (arch.kind !== 'choice' || !arch.values.every((v) => typeof v === 'string' && isArchitecture(v)))) throw new KwsError('INVALID_ARGUMENT', `architecture choices must be among ${ARCHITECTURES.join(', ')}`);
    if (!Number.isInteger(input.trials) || input.trials < 1 || input.trials > 100) throw new KwsError('INVALID_ARGUMENT', `trials must be from 1 to 100, got ${describeValue(input.trials)}`);
    const params: SearchParams = { dataDir, space: input.space, strategy: input.strategy, trials: input.trials, metric: input.metric ?? 'validationAccuracy', epochs: input.epochs ?? 10, seed: input.seed ?? 1, ...(input.batchSize === undefined || input.batchSize === null ? {} : { batchSize: input.batchSize }), ...(input.patience === undefined || input.patience === null ? {} : { patience: input.patience }), ...(input.allowMissingClasses === true ? { allowMissingClasses: true } : {}) };
    // Every trial must be a valid training run: try each range's ends.
    for (const end of ['min', 'max'] as const) {
      const point = Object.fromEntries(Object.entries(input.space).map(([name, spec]) => [name, spec.kind === 'choice' ? (spec.values[0] as string | number) : spec[end]]));
      validateTrainOptions(trainParams(params, point, 0));
    }
    this.registry.pinProduction();
    const job = this.store.create('search', params as unknown as Record<string, unknown>);
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
    if (job.status !== 'QUEUED' && job.status !== 'RUNNING') throw new KwsError('JOB_NOT_FINISHED', `job ${id} has already ended (${job.status}); only QUEUED or RUNNING jobs can be cancelled`);
    if (this.running?.id === id) {
      this.running.cancel.abort();
      await this.running.worker?.terminate();
      await this.running.done;
      return this.store.require(id);
    }
    // Queued here, or left QUEUED/RUNNING by an earlier process and not resumed yet.
    const at = this.queue.indexOf(id);
    if (at >= 0) this.queue.splice(at, 1);
    if (job.kind !== 'score' && job.resultVersion !== null && job.status === 'RUNNING') this.registry.abandon(job.resultVersion, 'training was cancelled');
    return this.store.update(id, { status: 'CANCELLED', finishedAt: new Date().toISOString() });
  }

  /**
   * Requeues the jobs a previous process left QUEUED or RUNNING (oldest first; those found when this
   * runner was made): scoring jobs resume from their checkpoint; a training job cannot, so it is
   * FAILED and its half-made version abandoned. Jobs submitted to this process are never touched.
   */
  resumeInterrupted(): void {
    for (const id of this.interrupted) {
      const job = this.store.require(id);
      if (job.status !== 'RUNNING' && job.status !== 'QUEUED') continue; // cancelled meanwhile
      if (job.kind !== 'score' && job.status === 'RUNNING') {
        if (job.resultVersion !== null) this.registry.abandon(job.resultVersion, 'training was interrupted by a restart');
        this.store.update(job.id, { status: 'FAILED', error: 'INTERRUPTED: training was interrupted by a restart of the server; submit it again', finishedAt: new Date().toISOString() });
      } else {
        this.enqueue(job.id);
      }
    }
  }

  /** Stops taking jobs; a running job is interrupted and stays RUNNING, to resume at the next start. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.running !== null) {
      this.running.shutdown = true;
      this.running.cancel.abort();
      await this.running.worker?.terminate();
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

  /**
   * The real path of a folder the server may read (test sets to score, datasets to train on).
   *
   * @throws KwsError `PATH_NOT_ALLOWED` outside the allowed roots (links resolved), `FILE_NOT_FOUND`,
   *   `FILE_UNREADABLE` for a path that is not a folder.
   */
  allowedDir(dir: string): string {
    if (typeof dir !== 'string' || dir.trim() === '') throw new KwsError('INVALID_ARGUMENT', `the folder must be named, got ${describeValue(dir)}`);
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
      throw new KwsError('PATH_NOT_ALLOWED', `${describeValue(dir)} is not ${isAbsolute(dir) ? 'inside a folder this server may read' : 'an absolute path'} (allowed: ${roots.join(', ')}); give an absolute path under one of them, or start the server with --score-root`);
    }
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      throw new KwsError('FILE_NOT_FOUND', `folder ${dir} does not exist`);
    }
    if (!roots.some((root) => within(root, real))) throw new KwsError('PATH_NOT_ALLOWED', `${dir} resolves (through a link) to ${real}, outside the folders this server may read`);
    if (!statSync(real).isDirectory()) throw new KwsError('FILE_UNREADABLE', `${dir} is not a folder`);
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
    this.running = { id, cancel, shutdown: false, done: new Promise<void>((resolve) => (finish = resolve)), worker: null };
    try {
      const kind = this.store.require(id).kind;
      if (kind === 'train') await this.runTrain(id);
      else if (kind === 'search') await this.runSearch(id);
      else await this.runScore(id, cancel.signal);
    } finally {
      this.running = null;
      finish();
      void this.drain();
    }
  }

  /**
   * Trains one version in a worker thread (TF.js on wasm occupies its thread for minutes). A
   * cancelled or failed run has its half-made version abandoned.
   */
  private async trainInWorker(params: TrainWorkerData['options'], onBegin: (version: number) => void, onProgress: (progress: TrainingProgress) => void): Promise<{ ok: true; version: number } | { ok: false; message: string; cancelled: boolean }> {
    const data: TrainWorkerData = { modelsDir: this.registry.modelsDir, dbPath: this.options.dbPath, options: params };
    const worker = spawnWorker('train', { train: data });
    if (this.running !== null) this.running.worker = worker;
    let version: number | null = null;
    let outcome: { ok: true; version: number } | { ok: false; message: string } | null = null;
    worker.on('message', (message: TrainWorkerMessage) => {
      switch (message.type) {
        case 'begin':
          version = message.version;
          onBegin(message.version);
          break;
        case 'progress':
          onProgress(message.progress);
          break;
        case 'done':
          outcome = { ok: true, version: message.version };
          break;
        case 'error':
          outcome = { ok: false, message: message.message };
          break;
        default:
          throw new UnreachableCaseError(message);
      }
    });
    const exit = await new Promise<number>((resolve) => {
      worker.once('error', (error) => {
        outcome ??= { ok: false, message: `INTERNAL: ${error.message}` };
      });
      worker.once('exit', resolve);
    });
    if (this.running !== null) this.running.worker = null;
    const result = outcome as { ok: true; version: number } | { ok: false; message: string } | null;
    if (result?.ok === true) {
      this.options.onVersion?.(result.version);
      return result;
    }
    const cancelled = this.running?.cancel.signal.aborted === true;
    const message = result?.message ?? `INTERNAL: the training worker exited with code ${exit}`;
    if (version !== null) this.registry.abandon(version, this.running?.shutdown === true ? 'training was interrupted by a shutdown of the server' : cancelled ? 'training was cancelled' : message);
    return { ok: false, message, cancelled };
  }

  /** The training figures of a finished version: its best epoch, the one it keeps. */
  private finalProgress(version: number, epochs: number | undefined): TrainingProgress {
    const { history, bestEpoch } = this.registry.manifest(version).training;
    const best = history.find((h) => h.epoch === bestEpoch) ?? history.at(-1);
    return { phase: 'done', epoch: bestEpoch, epochs: epochs ?? history.length, loss: best?.loss ?? null, accuracy: best?.accuracy ?? null, valAccuracy: best?.valAccuracy ?? null, etaSeconds: 0 };
  }

  /** Ends a job that a cancel or a shutdown stopped. */
  private stopped(id: number, finishedAt: string): void {
    if (this.running?.shutdown === true) this.store.update(id, { status: 'FAILED', error: 'INTERRUPTED: interrupted by a shutdown of the server; submit it again', finishedAt });
    else this.store.update(id, { status: 'CANCELLED', finishedAt });
  }

  private async runTrain(id: number): Promise<void> {
    const job = this.store.update(id, { status: 'RUNNING', error: null, startedAt: new Date().toISOString() });
    const outcome = await this.trainInWorker(
      job.params as unknown as TrainWorkerData['options'],
      (version) => this.store.update(id, { resultVersion: version }),
      (progress) => this.store.update(id, { training: progress, etaSeconds: progress.etaSeconds }),
    );
    const finishedAt = new Date().toISOString();
    if (outcome.ok) this.store.update(id, { status: 'SUCCEEDED', resultVersion: outcome.version, training: this.finalProgress(outcome.version, this.store.require(id).training?.epochs), etaSeconds: 0, finishedAt });
    else if (outcome.cancelled) this.stopped(id, finishedAt);
    else this.store.update(id, { status: 'FAILED', error: outcome.message, finishedAt });
  }

  /**
   * A hyperparameter search: trials run one after another as training runs (each a model version
   * tagged with the search's job id), suggested at random or by TPE from the finished trials; the
   * trial table and the best trial are kept in the job's result.
   */
  private async runSearch(id: number): Promise<void> {
    const job = this.store.update(id, { status: 'RUNNING', error: null, startedAt: new Date().toISOString() });
    const params = job.params as unknown as SearchParams;
    const rng = new Rng(params.seed);
    const trials: SearchTrial[] = [];
    const save = (): void => {
      const finished = trials.filter((t) => t.metric !== null);
      const best = finished.reduce<SearchTrial | null>((b, t) => (b === null || (t.metric as number) > (b.metric as number) ? t : b), null);
      this.store.update(id, { result: { strategy: params.strategy, metric: params.metric, trials, best }, processed: trials.length, total: params.trials, resultVersion: best?.version ?? null });
    };
    for (let trial = 1; trial <= params.trials; trial++) {
      if (this.running?.cancel.signal.aborted === true) break;
      const observations = trials.filter((t) => t.metric !== null).map((t) => ({ parameters: t.parameters, metric: t.metric as number }));
      const parameters = params.strategy === 'TPE' ? suggestTpe(params.space, observations, rng) : sampleRandom(params.space, rng);
      const entry: SearchTrial = { trial, parameters, version: null, metric: null, status: 'RUNNING', error: null };
      trials.push(entry);
      save();
      const outcome = await this.trainInWorker(trainParams(params, parameters, id), (version) => {
        entry.version = version;
        save();
      }, (progress) => this.store.update(id, { training: progress }));
      if (outcome.ok) {
        const manifest = this.registry.manifest(outcome.version);
        entry.metric = params.metric === 'calibratedAccuracy' ? manifest.calibration.accuracy : manifest.metrics.validation.accuracy;
        entry.status = 'SUCCEEDED';
      } else {
        entry.status = outcome.cancelled ? 'CANCELLED' : 'FAILED';
        entry.error = outcome.message;
      }
      save();
    }
    const finishedAt = new Date().toISOString();
    if (this.running?.cancel.signal.aborted === true) this.stopped(id, finishedAt);
    else if (trials.every((t) => t.metric === null)) this.store.update(id, { status: 'FAILED', error: trials[0]?.error ?? 'no trial finished', finishedAt });
    else this.store.update(id, { status: 'SUCCEEDED', finishedAt });
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
