import { rm } from 'node:fs/promises';
import type { FlowProducer, Queue } from 'bullmq';
import { KwsError, UnreachableCaseError } from '../errors/index.js';
import type { JobQueue } from './job-queue.js';
import type { JobKind, JobRecord } from './job-record.js';
import type { JobStore } from './job-store.js';
import { QUEUE_NAMES, readyWithin, redactRedisUrl, redisConnection, taskId, TASKS } from './redis-connection.js';
import type { TaskData } from './redis-connection.js';
import { planShards } from './score-shards.js';

/** Options of a {@link RedisJobQueue}; the same for the server and every worker of one deployment. */
export interface RedisQueueOptions {
  /** `redis://host:port[/db]` (`--redis`, `KWS_REDIS_URL`). */
  readonly url: string;
  /** Clips per scoring chunk (one inference batch), as on one machine, so that outputs agree byte for byte. Default 256. */
  readonly chunkSize?: number;
  /** Clips per shard of a scoring job, rounded up to whole chunks. Default 4096. */
  readonly shardClips?: number;
  /** Tries of each part (a shard, a training run, a trial) before its job fails. Default 3. */
  readonly attempts?: number;
  /** How long {@link RedisJobQueue.connect} waits for Redis to answer, ms. Default 10000. */
  readonly connectTimeoutMs?: number;
}

/** The defaults of {@link RedisQueueOptions}. */
export const DEFAULT_REDIS_QUEUE_OPTIONS = Object.freeze({
  chunkSize: 256,
  shardClips: 4096,
  attempts: 3,
  connectTimeoutMs: 10_000,
});

/**
 * The BullMQ job queue: jobs go to Redis and run on `kws worker` processes, on any machine that
 * mounts the same model repository, data folder and inputs. A scoring job is cut into shards
 * (`planShards`) run in parallel and assembled in order by a parent job (a BullMQ flow); a search
 * is one BullMQ job per trial, run in parallel; a training job is one. Each part is retried on
 * failure (`attempts`) and when its worker dies (BullMQ's stalled-job check); a job's record,
 * progress and result stay in the job store.
 */
export class RedisJobQueue implements JobQueue {
  readonly backend = 'redis' as const;

  private constructor(
    private readonly store: JobStore,
    private readonly queues: Readonly<Record<JobKind, Queue<TaskData>>>,
    private readonly flows: FlowProducer,
    private readonly options: Required<RedisQueueOptions>,
  ) {}

  /**
   * Connects to Redis (BullMQ is loaded only here: the embedded queue never loads it).
   *
   * @throws KwsError `INVALID_ARGUMENT` for a bad URL or option; `NOT_READY` when Redis does not
   *   answer within `connectTimeoutMs`.
   */
  static async connect(store: JobStore, given: RedisQueueOptions): Promise<RedisJobQueue> {
    const options = { ...DEFAULT_REDIS_QUEUE_OPTIONS, ...given };
    for (const [name, value, max] of [
      ['chunkSize', options.chunkSize, 4096],
      ['shardClips', options.shardClips, 1_000_000],
      ['attempts', options.attempts, 100],
      ['connectTimeoutMs', options.connectTimeoutMs, 600_000],
    ] as const)
      if (!Number.isInteger(value) || value < 1 || value > max)
        throw new KwsError('INVALID_ARGUMENT', `${name} must be an integer from 1 to ${max}, got ${value}`);
    const connection = redisConnection(options.url, 'producer');
    const { FlowProducer, Queue } = await import('bullmq');
    const queues = {
      score: new Queue<TaskData>(QUEUE_NAMES.score, { connection }),
      train: new Queue<TaskData>(QUEUE_NAMES.train, { connection }),
      search: new Queue<TaskData>(QUEUE_NAMES.search, { connection }),
    };
    const flows = new FlowProducer({ connection });
    const queue = new RedisJobQueue(store, queues, flows, options);
    // Connection errors are answered per call (NOT_READY); without a listener they would be thrown.
    for (const q of Object.values(queues)) q.on('error', () => undefined);
    flows.on('error', () => undefined);
    try {
      await queue.reach(() => readyWithin([...Object.values(queues), flows], options.connectTimeoutMs));
    } catch (error) {
      await queue.close();
      throw error;
    }
    return queue;
  }

  async enqueue(job: JobRecord): Promise<void> {
    const attempts = this.options.attempts;
    // Finished parts stay a day (failed ones a week) for inspection, then Redis drops them.
    const retried = {
      attempts,
      backoff: { type: 'fixed', delay: 1000 },
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    } as const;
    switch (job.kind) {
      case 'score': {
        const plan = await planShards(job, this.options.chunkSize, this.options.shardClips);
        const queueName = QUEUE_NAMES.score;
        // Refused by Redis: the job's folder (its plan) goes with its record.
        const refused = (error: unknown): never => {
          void rm(job.outputDir ?? '', { recursive: true, force: true });
          throw error;
        };
        await this.reach(() =>
          this.flows.add({
            name: TASKS.assemble,
            queueName,
            data: { jobId: job.id, createdAt: job.createdAt },
            opts: { jobId: taskId(job), ...retried },
            children: Array.from({ length: plan.shards }, (_, k) => ({
              name: TASKS.shard,
              queueName,
              data: { jobId: job.id, createdAt: job.createdAt, part: k },
              // A shard failing for good ends the job itself (JobWorker.onFailed, naming the shard);
              // the parent then still runs, finds the job ended, and does nothing.
              opts: { jobId: taskId(job, k), ...retried, ignoreDependencyOnFailure: true },
            })),
          }),
        ).catch(refused);
        return;
      }
      case 'train':
        await this.reach(() =>
          this.queues.train.add(
            TASKS.train,
            { jobId: job.id, createdAt: job.createdAt },
            { jobId: taskId(job), ...retried },
          ),
        );
        return;
      case 'search':
        await this.reach(() =>
          this.queues.search.addBulk(
            Array.from({ length: job.params.trials }, (_, i) => ({
              name: TASKS.trial,
              data: { jobId: job.id, createdAt: job.createdAt, part: i + 1 },
              opts: { jobId: taskId(job, i + 1), ...retried },
            })),
          ),
        );
        return;
      default:
        throw new UnreachableCaseError(job);
    }
  }

  /**
   * Ends the job CANCELLED in the job store at once (the workers running its parts watch it and stop
   * within a second, abandoning half-made versions), then removes its parts that no worker holds.
   */
  async cancel(job: JobRecord): Promise<JobRecord> {
    const cancelled = this.store.cancel(job.id);
    const queue = this.queues[job.kind];
    const parts =
      job.kind === 'search' ? Array.from({ length: job.params.trials }, (_, i) => taskId(job, i + 1)) : [taskId(job)];
    // Best effort: a part a worker holds (or Redis away) stays, and its worker skips it.
    await Promise.allSettled(parts.map((id) => queue.remove(id, { removeChildren: true })));
    return cancelled;
  }

  resumeInterrupted(): void {
    // Redis keeps the queued and running parts; workers pick them up (and retry those of dead workers).
  }

  async close(): Promise<void> {
    await Promise.allSettled([...Object.values(this.queues).map((q) => q.close()), this.flows.close()]);
  }

  /** Runs a Redis call; a connection failure becomes `NOT_READY` naming the (redacted) URL. */
  private async reach<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof KwsError) throw error;
      throw new KwsError(
        'NOT_READY',
        `the job queue (Redis at ${redactRedisUrl(this.options.url)}) cannot take jobs now: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
}
