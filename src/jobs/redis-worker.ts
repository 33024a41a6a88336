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
import { QUEUE_NAMES, readyWithin, redactRedisUrl, redisConnection, TASKS } from './redis-connection.js';
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
import { failTrial, runSearchTrial } from './search-trials.js';
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
  /** How long {@link JobWorker.start} waits for Redis to answer, ms. Default 30000. */
  readonly connectTimeoutMs?: number;
  /** This worker's name in search trials and logs. Default `host:pid`. */
  readonly name?: string;
  readonly onInternalError?: InternalErrorHandler;
  /** Called as parts start and end (for logs). */
  readonly onEvent?: (event: WorkerEvent) => void;
}

/** What a worker reports about the parts it runs. */
export interface WorkerEvent {
  readonly event: 'started' | 'finished' | 'stopped' | 'failed' | 'stalled' | 'error';
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
  connectTimeoutMs: 30_000,
});

/** Shard plans a worker keeps read (each lists a whole test folder). */
const PLANS_KEPT = 4;

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
   * @throws KwsError `INVALID_ARGUMENT` for a bad URL, kind or number; `NOT_READY` when Redis does
   *   not answer within `connectTimeoutMs`.
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
      // Three parameters: BullMQ then passes a signal that aborts when the part's lock is lost.
      const w = new Worker<TaskData>(QUEUE_NAMES[kind], (task, _token, lost) => worker.process(kind, task, lost), {
        connection,
        concurrency,
        lockDuration,
        stalledInterval: options.stalledIntervalMs ?? lockDuration,
        maxStalledCount: MAX_STALLED,
      });
      // Connection errors come and go (ioredis reconnects); they are reported, not thrown.
      w.on('error', (error) => worker.report({ event: 'error', kind, jobId: null, part: '', message: String(error) }));
      // A part whose worker died, found by this worker's stalled check: BullMQ hands it to another worker.
      w.on('stalled', (id) => worker.report({ event: 'stalled', kind, jobId: null, part: id }));
      w.on('failed', (task, error) => void worker.onFailed(task, error).catch(() => undefined));
      worker.workers.push(w);
    }
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_WORKER_OPTIONS.connectTimeoutMs;
    try {
      await readyWithin(worker.workers, timeoutMs);
    } catch (error) {
      await Promise.allSettled(worker.workers.map((w) => w.close(true)));
      throw new KwsError(
        'NOT_READY',
        `Redis at ${redactRedisUrl(options.url)} did not answer in ${timeoutMs} ms; is it running, and is the URL right?`,
        { cause: error },
      );
    }
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
    // The cancel poll runs on while the running parts finish: a cancel meanwhile still stops them.
    await Promise.all(this.workers.map((w) => w.close(force)));
    if (this.timer !== null) clearInterval(this.timer);
  }

  private async process(kind: JobKind, task: Job<TaskData>, lost: AbortSignal | undefined): Promise<string> {
    const { jobId, part } = task.data;
    const record = this.options.store.get(jobId);
    if (record === null || record.createdAt !== task.data.createdAt)
      throw new KwsError(
        'NOT_FOUND',
        `job ${jobId} of this queue is not in ${this.options.dbPath}: does another deployment share this Redis? Give each its own (redis://host:port/<db>), and give workers the server's --data-dir`,
      );
    if (!isActive(record.status)) return 'skipped: the job has ended';
    const controller = new AbortController();
    lost?.addEventListener('abort', () => controller.abort('lost' satisfies StopReason), { once: true });
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
      const stopped = controller.signal.aborted;
      this.report({ event: stopped ? 'stopped' : 'finished', kind, jobId, part: what });
      return stopped ? 'stopped' : 'done';
    } catch (error) {
      this.report({ event: 'failed', kind, jobId, part: what, message: String(error) });
      throw error; // BullMQ tries again, or, on the last try, `onFailed` ends the job
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
      // The oldest plans go (a Map keeps insertion order): a worker serves many jobs' shards.
      for (const old of [...this.plans.keys()].slice(0, Math.max(0, this.plans.size - PLANS_KEPT)))
        this.plans.delete(old);
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
    // Two shards ending at once may read the shard folder in either order: the counts never go back.
    this.options.store.update(job.id, (j) =>
      j.status !== 'RUNNING' || j.processed > totals.processed
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
      try {
        current = store.retry(job.id, job.attempt);
        store.progress(job.id, { resultVersion: null, training: null });
      } catch (error) {
        if (this.ended(job.id, error)) return; // cancelled meanwhile
        throw error;
      }
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

  /**
   * A part failed. On its last try (BullMQ `attempts`), or when its workers died more than
   * {@link MAX_STALLED} times (BullMQ fails it as unrecoverable on the next worker that takes it),
   * its job ends: FAILED with the part named, or, for a search trial, that trial FAILED (the search
   * ends when its last trial does). A part of another deployment's job (see `process`) is left alone.
   */
  private async onFailed(task: Job<TaskData> | undefined, error: Error): Promise<void> {
    if (task === undefined) return;
    const final = error.name === 'UnrecoverableError' || task.attemptsMade >= (task.opts.attempts ?? 1);
    if (!final) return;
    const { jobId, part } = task.data;
    const record = this.options.store.get(jobId);
    if (record === null || record.createdAt !== task.data.createdAt || !isActive(record.status)) return;
    const cause =
      error.name === 'UnrecoverableError'
        ? new KwsError('INTERRUPTED', `its workers stopped more than ${MAX_STALLED} times (killed, or out of memory?)`)
        : error;
    const stored = storedJobError(jobId, cause, this.options.onInternalError);
    let what = partName(task.name, part);
    if (task.name === TASKS.shard && record.kind === 'score') what = describeShard(await this.plan(record), part ?? 0);
    const tried = error.name === 'UnrecoverableError' ? 'was interrupted' : `failed after ${task.attemptsMade} tries`;
    const failure = { code: stored.code, message: `${what} ${tried}: ${stored.message}` };
    try {
      this.claim(record); // a part that never got as far as claiming its job (QUEUED) still ends it
      if (task.name === TASKS.trial)
        failTrial(this.context(jobId, new AbortController().signal), jobId, part ?? 1, failure);
      else this.options.store.fail(jobId, failure);
    } catch {
      // ended meanwhile (cancelled, or failed by another part)
    }
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
      let job: JobRecord | null;
      try {
        job = this.options.store.get(jobId);
      } catch {
        continue; // the database busy or unreadable for a moment: look again at the next poll
      }
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
