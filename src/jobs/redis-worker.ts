import { hostname } from 'node:os';
import type { Job, Worker } from 'bullmq';
import type { EnginePool } from '../engine/index.js';
import { isKwsError, KwsError } from '../errors/index.js';
import type { ModelRegistry } from '../registry/index.js';
import type { JobContext, StopReason } from './job-context.js';
import { storedJobError } from './job-error.js';
import type { InternalErrorHandler } from './job-error.js';
import { isActive } from './job-record.js';
import type { JobKind, JobOf, JobRecord } from './job-record.js';
import type { JobStore } from './job-store.js';
import { QUEUE_NAMES, redisConnection, TASKS } from './redis-connection.js';
import type { TaskData } from './redis-connection.js';
import {
  assembleShards,
  describeShard,
  finishedShards,
  readShardPlan,
  removeShards,
  scoreShard,
} from './score-shards.js';
import type { ShardPlan } from './score-shards.js';
import { runSearchTrial } from './search-trials.js';
import { runTrainJob } from './train-job.js';

/** Options of a {@link JobWorker} (`kws worker`). */
export interface JobWorkerOptions {
  /** `redis://host:port[/db]`. */
  readonly url: string;
  readonly registry: ModelRegistry;
  readonly store: JobStore;
  /** Engine threads that score shards. */
  readonly pool: EnginePool;
  /** The SQLite file training threads open (`<dataDir>/kws.db`). */
  readonly dbPath: string;
  /** The kinds of job this worker takes. Default all: score, train, search. */
  readonly kinds?: readonly JobKind[];
  /** Parts (shards, training runs, trials) run at once, per kind. Default 1. */
  readonly concurrency?: number;
  /**
   * How long a part's lock lasts without renewal, ms (BullMQ `lockDuration`; renewed every half of
   * it): a worker that died is noticed after about this long, and its part handed to another.
   * Default 30000.
   */
  readonly lockDurationMs?: number;
  /** How often to look for parts whose worker died, ms (BullMQ `stalledInterval`). Default: `lockDurationMs`. */
  readonly stalledIntervalMs?: number;
  /** How often running parts look whether their job was cancelled, ms. Default 500. */
  readonly cancelPollMs?: number;
  /** A pause after each scored chunk, ms: for demonstrating and testing fault handling. Default 0. */
  readonly chunkDelayMs?: number;
  /** This worker's name in search trials and logs. Default `host:pid`. */
  readonly name?: string;
  readonly onInternalError?: InternalErrorHandler;
  /** Called as parts start and end (for logs). */
  readonly onEvent?: (event: WorkerEvent) => void;
}

/** What a worker reports about the parts it runs. */
export interface WorkerEvent {
  readonly event: 'started' | 'finished' | 'failed' | 'stalled';
  readonly kind: JobKind;
  readonly jobId: number | null;
  /** `shard 2 of 5 (clips ...)`, `trial 3`, `training`, `assembling`. */
  readonly part: string;
  readonly message?: string;
}

/** The defaults of {@link JobWorkerOptions}. */
export const DEFAULT_WORKER_OPTIONS = Object.freeze({
  concurrency: 1,
  lockDurationMs: 30_000,
  cancelPollMs: 500,
  chunkDelayMs: 0,
});

/** Times a part may be found stalled (its worker dead) and handed on before its job fails (BullMQ `maxStalledCount`). */
export const MAX_STALLED = 2;

/**
 * A `kws worker`: takes the parts of jobs from the BullMQ queues of its kinds and runs them here,
 * writing records, progress and outputs to the same job store, model repository and folders as the
 * server. A scoring shard scores its clips in the engine threads; the part that assembles them
 * writes the job's files; a training run or a search trial trains in a worker thread. Each running
 * part watches its job: a cancel stops it on every worker.
 */
export class JobWorker {
  private readonly workers: Worker<TaskData>[] = [];
  private readonly watched = new Map<number, Set<AbortController>>();
  private readonly plans = new Map<number, Promise<ShardPlan>>();
  private timer: NodeJS.Timeout | null = null;
  readonly name: string;

  private constructor(private readonly options: JobWorkerOptions) {
    this.name = options.name ?? `${hostname()}:${process.pid}`;
  }

  /**
   * Connects to Redis and starts taking parts.
   *
   * @throws KwsError `INVALID_ARGUMENT` for a bad URL, kind or number.
   */
  static async start(options: JobWorkerOptions): Promise<JobWorker> {
    const worker = new JobWorker(options);
    const concurrency = options.concurrency ?? DEFAULT_WORKER_OPTIONS.concurrency;
    const lockDuration = options.lockDurationMs ?? DEFAULT_WORKER_OPTIONS.lockDurationMs;
    for (const [name, value] of [
      ['concurrency', concurrency],
      ['lockDurationMs', lockDuration],
    ] as const)
      if (!Number.isInteger(value) || value < 1)
        throw new KwsError('INVALID_ARGUMENT', `${name} must be a positive integer, got ${value}`);
    const connection = redisConnection(options.url, 'worker');
    const { Worker } = await import('bullmq');
    for (const kind of options.kinds ?? (['score', 'train', 'search'] as const)) {
      const w = new Worker<TaskData>(QUEUE_NAMES[kind], (task) => worker.process(kind, task), {
        connection,
        concurrency,
        lockDuration,
        stalledInterval: options.stalledIntervalMs ?? lockDuration,
        maxStalledCount: MAX_STALLED,
      });
      w.on('error', () => undefined); // connection errors: ioredis reconnects
      w.on('stalled', (id) => void worker.onStalled(kind, w, id));
      worker.workers.push(w);
    }
    await Promise.all(worker.workers.map((w) => w.waitUntilReady()));
    worker.timer = setInterval(() => worker.pollCancels(), options.cancelPollMs ?? DEFAULT_WORKER_OPTIONS.cancelPollMs);
    worker.timer.unref();
    return worker;
  }

  /** Parts running now. */
  get running(): number {
    return [...this.watched.values()].reduce((n, set) => n + set.size, 0);
  }

  /**
   * Stops taking parts; by default waits for the running ones to finish. `force` stops at once:
   * the parts left are found stalled by another worker and run again there.
   */
  async close(force = false): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    await Promise.all(this.workers.map((w) => w.close(force)));
  }

  private async process(kind: JobKind, task: Job<TaskData>): Promise<string> {
    const { jobId, part } = task.data;
    const record = this.options.store.get(jobId);
    if (record === null || record.createdAt !== task.data.createdAt)
      throw new KwsError(
        'NOT_FOUND',
        `job ${jobId} of this queue is not in ${this.options.dbPath}: does another deployment share this Redis? Give each its own (redis://host:port/<db>), and give workers the server's --data-dir`,
      );
    if (!isActive(record.status)) return 'skipped: the job has ended';
    const controller = new AbortController();
    this.watch(jobId, controller);
    let what = partName(task.name, part);
    this.report({ event: 'started', kind, jobId, part: what });
    try {
      switch (task.name) {
        case TASKS.shard: {
          const plan = await this.plan(record as JobOf<'score'>);
          what = describeShard(plan, part ?? 0);
          await this.shard(record as JobOf<'score'>, plan, part ?? 0, controller.signal);
          break;
        }
        case TASKS.assemble:
          await this.assemble(record as JobOf<'score'>);
          break;
        case TASKS.train:
          await this.train(record as JobOf<'train'>, controller.signal);
          break;
        case TASKS.trial:
          await runSearchTrial(this.context(jobId, controller.signal), jobId, part ?? 1, this.name);
          break;
        default:
          throw new KwsError('INTERNAL', `unknown task ${task.name} in queue ${QUEUE_NAMES[kind]}`);
      }
      this.report({ event: 'finished', kind, jobId, part: what });
      return 'done';
    } catch (error) {
      const tries = task.opts.attempts ?? 1;
      this.report({ event: 'failed', kind, jobId, part: what, message: String(error) });
      if (task.attemptsMade + 1 >= tries) this.failJob(jobId, `${what} failed after ${tries} tries`, error);
      throw error;
    } finally {
      this.unwatch(jobId, controller);
    }
  }

  /** Claims a job's first part: QUEUED -> RUNNING (another worker may have claimed it first). */
  private claim(job: JobRecord): JobRecord {
    if (job.status !== 'QUEUED') return job;
    try {
      return this.options.store.start(job.id);
    } catch (error) {
      if (isKwsError(error) && error.code === 'ILLEGAL_TRANSITION') return this.options.store.require(job.id);
      throw error;
    }
  }

  private plan(job: JobOf<'score'>): Promise<ShardPlan> {
    let plan = this.plans.get(job.id);
    if (plan === undefined) {
      plan = readShardPlan(job);
      plan.catch(() => this.plans.delete(job.id));
      this.plans.set(job.id, plan);
    }
    return plan;
  }

  private async shard(job: JobOf<'score'>, plan: ShardPlan, k: number, signal: AbortSignal): Promise<void> {
    const claimed = this.claim(job);
    if (claimed.status !== 'RUNNING') return;
    const { registry, pool } = this.options;
    const chunkDelayMs = this.options.chunkDelayMs ?? 0;
    const done = await scoreShard(job, plan, k, { registry, pool, signal, chunkDelayMs });
    if (done === null) return; // cancelled
    const totals = await finishedShards(job);
    const seconds = (Date.now() - Date.parse(claimed.startedAt ?? new Date().toISOString())) / 1000;
    const total = plan.clips.length;
    const rate = seconds > 0 ? totals.processed / seconds : 0;
    this.options.store.update(job.id, (j) =>
      j.status !== 'RUNNING'
        ? null
        : {
            processed: totals.processed,
            failed: totals.failed,
            total,
            clipsPerSecond: rate,
            etaSeconds: rate > 0 ? (total - totals.processed) / rate : null,
          },
    );
  }

  private async assemble(job: JobOf<'score'>): Promise<void> {
    if (this.claim(job).status !== 'RUNNING') return;
    const plan = await this.plan(job);
    const counts = await assembleShards(job, plan);
    this.plans.delete(job.id);
    this.endQuietly(job.id, () =>
      this.options.store.succeed(job.id, { ...counts, total: plan.clips.length, etaSeconds: 0 }),
    );
    await removeShards(job);
  }

  /** A training job: started, or (RUNNING: its worker died) retried from the start with its half-made version abandoned. */
  private async train(job: JobOf<'train'>, signal: AbortSignal): Promise<void> {
    const { store, registry } = this.options;
    let current: JobRecord;
    if (job.status === 'QUEUED') current = this.claim(job);
    else {
      if (job.resultVersion !== null)
        registry.abandon(job.resultVersion, 'the worker training it stopped; training ran again on another');
      current = store.retry(job.id, job.attempt);
      store.progress(job.id, { resultVersion: null, training: null });
    }
    if (current.status !== 'RUNNING' || current.kind !== 'train') return;
    const running = current;
    try {
      await runTrainJob(running, this.context(job.id, signal));
    } catch (error) {
      if (!this.ended(job.id, error)) throw error;
    }
  }

  /** Runs a move that a cancel may have made moot: an `ILLEGAL_TRANSITION` on a job that has ended is not an error. */
  private endQuietly(jobId: number, move: () => unknown): void {
    try {
      move();
    } catch (error) {
      if (!this.ended(jobId, error)) throw error;
    }
  }

  /** Whether `error` is a move refused because job `jobId` has ended meanwhile (cancelled). */
  private ended(jobId: number, error: unknown): boolean {
    return (
      isKwsError(error) && error.code === 'ILLEGAL_TRANSITION' && !isActive(this.options.store.require(jobId).status)
    );
  }

  private context(id: number, signal: AbortSignal): JobContext {
    const { registry, pool, store, dbPath } = this.options;
    return {
      registry,
      pool,
      store,
      checkpoints: store.checkpoints,
      dbPath,
      outputRoot: '',
      chunkSize: undefined,
      signal,
      onVersion: () => undefined,
      errorOf: (error) => storedJobError(id, error, this.options.onInternalError),
    };
  }

  /** Ends a job FAILED with what its part failed with, the part named; a job that has ended is left alone. */
  private failJob(jobId: number, what: string, error: unknown): void {
    const stored = storedJobError(jobId, error, this.options.onInternalError);
    try {
      this.options.store.fail(jobId, { code: stored.code, message: `${what}: ${stored.message}` });
    } catch {
      // ended meanwhile (cancelled, or failed by another part)
    }
  }

  /**
   * A part whose worker died was found by this worker's stalled check: BullMQ handed it on, or,
   * past {@link MAX_STALLED}, failed it; then its job fails, the part named.
   */
  private async onStalled(kind: JobKind, worker: Worker<TaskData>, id: string): Promise<void> {
    const { Job } = await import('bullmq');
    const task = await Job.fromId<TaskData>(worker as unknown as Parameters<typeof Job.fromId>[0], id).catch(
      () => undefined,
    );
    const part = task === undefined ? id : partName(task.name, task.data.part);
    this.report({ event: 'stalled', kind, jobId: task?.data.jobId ?? null, part });
    if (task !== undefined && (await task.isFailed()))
      this.failJob(
        task.data.jobId,
        `${part} was interrupted more than ${MAX_STALLED} times`,
        new KwsError('INTERRUPTED', 'the workers running it stopped (killed, or out of memory?)'),
      );
  }

  private watch(jobId: number, controller: AbortController): void {
    let set = this.watched.get(jobId);
    if (set === undefined) this.watched.set(jobId, (set = new Set()));
    set.add(controller);
  }

  private unwatch(jobId: number, controller: AbortController): void {
    const set = this.watched.get(jobId);
    set?.delete(controller);
    if (set?.size === 0) this.watched.delete(jobId);
  }

  /** Stops the running parts of jobs that have ended (a cancel, or another part's failure). */
  private pollCancels(): void {
    for (const [jobId, controllers] of this.watched) {
      const job = this.options.store.get(jobId);
      if (job !== null && isActive(job.status)) continue;
      for (const c of controllers) c.abort('cancel' satisfies StopReason);
    }
  }

  private report(event: WorkerEvent): void {
    this.options.onEvent?.(event);
  }
}

/** A part as a human reads it before its plan is known. */
function partName(task: string, part: number | undefined): string {
  switch (task) {
    case TASKS.shard:
      return `shard ${(part ?? 0) + 1}`;
    case TASKS.trial:
      return `trial ${part ?? 1}`;
    case TASKS.train:
      return 'training';
    case TASKS.assemble:
      return 'assembling the outputs';
    default:
      return task;
  }
}
