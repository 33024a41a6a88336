import { availableParallelism } from 'node:os';
import type { MessagePort, Worker } from 'node:worker_threads';
import { spawnWorker } from '../config/index.js';
import { fromSerializedError, KwsError, toSerializedError } from '../errors/index.js';
import type { SerializedKwsError } from '../errors/index.js';
import { BatchMaker } from './batch-maker.js';
import type { BatchMakerInit } from './batch-maker.js';

/**
 * Where a training run's augmented feature batches come from. Batches come out of `take` in the
 * order they were requested, so the seeded augmentation stream is drawn in the same order whether
 * they are made on the training thread or ahead of it on another.
 */
export interface BatchSource {
  /** Queues the batch of the training clips at `indices`. */
  request(indices: readonly number[]): void;
  /**
   * The oldest requested batch, `[indices.length, frames, bins]` features.
   *
   * @throws KwsError with the maker's code (e.g. `INTERNAL`) when it failed, or `INTERNAL` when
   *   nothing was requested.
   */
  take(): Promise<Float32Array>;
  /** Stops the source (its worker thread, if any); a batch requested and not yet taken, or taken later, is refused (`INTERNAL`, batch source closed). */
  close(): Promise<void>;
}

/** A message to a batch worker: make the batch of these clips. */
export interface BatchRequest {
  readonly indices: readonly number[];
}

/** A batch worker's answer, one per request, in order. */
export type BatchReply =
  | { readonly type: 'batch'; readonly features: Float32Array }
  | { readonly type: 'error'; readonly error: SerializedKwsError };

/** Makes each batch when it is taken, on the calling thread (one core, or no worker thread to be had). */
export class InThreadBatches implements BatchSource {
  private readonly maker: BatchMaker;
  private readonly queue: (readonly number[])[] = [];
  private closed = false;

  constructor(init: BatchMakerInit) {
    this.maker = new BatchMaker(init);
  }

  request(indices: readonly number[]): void {
    this.queue.push(indices);
  }

  async take(): Promise<Float32Array> {
    if (this.closed) throw new KwsError('INTERNAL', 'batch source closed');
    const indices = this.queue.shift();
    if (indices === undefined) throw new KwsError('INTERNAL', 'no batch was requested');
    const features = new Float32Array(indices.length * this.maker.clipSize);
    await this.maker.make(indices, features);
    return features;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
  }
}

/**
 * Makes batches ahead on a worker thread (`batch/augment.worker.ts`, running {@link runBatchWorker}),
 * so that augmentation and features for the next step run on a second core while the training thread
 * takes the current one. The clip samples are shared with the worker when they sit on a
 * SharedArrayBuffer (as `loadClipSet` allocates them); features come back as transferred buffers.
 */
export class WorkerBatches implements BatchSource {
  private readonly worker: Worker;
  private readonly pending: Array<{ resolve: (f: Float32Array) => void; reject: (e: Error) => void }> = [];
  private readonly ready: Array<Promise<Float32Array>> = [];
  private failure: Error | null = null;

  constructor(init: BatchMakerInit) {
    this.worker = spawnWorker('augment', { batches: init });
    this.worker.on('message', (reply: BatchReply) => {
      const waiter = this.pending.shift();
      if (waiter === undefined) return;
      if (reply.type === 'batch') waiter.resolve(reply.features);
      else waiter.reject(fromSerializedError(reply.error));
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new KwsError('INTERNAL', `batch worker exited with code ${code}`)));
  }

  request(indices: readonly number[]): void {
    this.ready.push(
      new Promise<Float32Array>((resolve, reject) => {
        if (this.failure !== null) reject(this.failure);
        else this.pending.push({ resolve, reject });
      }),
    );
    // A rejection is observed by take(); this keeps an unawaited one from being reported as unhandled.
    this.ready.at(-1)?.catch(() => undefined);
    if (this.failure === null) this.worker.postMessage({ indices: [...indices] } satisfies BatchRequest);
  }

  take(): Promise<Float32Array> {
    return this.ready.shift() ?? Promise.reject(new KwsError('INTERNAL', 'no batch was requested'));
  }

  async close(): Promise<void> {
    this.fail(new KwsError('INTERNAL', 'batch source closed'));
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure =
      error instanceof KwsError ? error : new KwsError('INTERNAL', `batch worker failed: ${error.message}`);
    for (const waiter of this.pending.splice(0)) waiter.reject(this.failure);
  }
}

/**
 * Fewest training clips for which a run makes its batches on a worker thread: starting one (and,
 * from TypeScript sources, compiling its modules) takes about a second, which a smaller training
 * split (an epoch of a few seconds) does not win back.
 */
export const MIN_WORKER_CLIPS = 2_048;

/**
 * The batch source of a training run: {@link WorkerBatches} when the machine has a second core for
 * it and the training split has at least `minClips` clips, else {@link InThreadBatches}. Both give
 * the same batches for the same `init`.
 *
 * @param options.cores Cores available (default `os.availableParallelism()`).
 * @param options.minClips Default {@link MIN_WORKER_CLIPS}.
 */
export function openBatchSource(
  init: BatchMakerInit,
  { cores = availableParallelism(), minClips = MIN_WORKER_CLIPS }: { cores?: number; minClips?: number } = {},
): BatchSource {
  const clips = init.samples.length / init.clipSamples;
  return cores > 1 && clips >= minClips ? new WorkerBatches(init) : new InThreadBatches(init);
}

/**
 * The body of a batch worker thread: answers each {@link BatchRequest} on `port` with its batch (the
 * features buffer transferred) or a serialized error, strictly in order (requests are chained, so the
 * augmentation stream is drawn in request order even though making a batch awaits).
 */
export function runBatchWorker(init: BatchMakerInit, port: Pick<MessagePort, 'on' | 'postMessage'>): void {
  const maker = new BatchMaker(init);
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (request: BatchRequest) => {
    chain = chain.then(async () => {
      try {
        const features = new Float32Array(request.indices.length * maker.clipSize);
        await maker.make(request.indices, features);
        port.postMessage({ type: 'batch', features } satisfies BatchReply, [features.buffer]);
      } catch (error) {
        port.postMessage({ type: 'error', error: toSerializedError(error) } satisfies BatchReply);
      }
    });
  });
}
