import { describeValue, KwsError } from '../errors/index.js';

/**
 * Options of the {@link DynamicBatcher}, after Triton Inference Server's dynamic batcher
 * (`docs/user_guide/batcher.md`): a batch is dispatched when it is full or when its oldest request
 * has waited `maxQueueDelayMs`, whichever comes first.
 */
export interface BatcherOptions {
  /** Most items (clips) in one engine call, at least 1. Default 64; 1 turns batching off. */
  readonly maxBatchSize: number;
  /**
   * Longest time the oldest queued item waits for companions before a partial batch goes, ms, at
   * least 0. Default 0: a batch goes as soon as an engine thread is free, and clips that arrive while every
   * thread is busy form the next batch (on CPU, waiting only adds latency; raise it on a GPU).
   */
  readonly maxQueueDelayMs: number;
  /** Most items waiting (not yet dispatched) across all keys, at least 1; beyond it `submit` fails with `OVERLOADED`. Default 1024. */
  readonly maxQueueLength: number;
  /** Batches in flight at once (engine instances), at least 1. Default 2. */
  readonly maxConcurrentBatches: number;
  /** Longest time one item may wait for its result, queueing included, ms, at least 0. Default 10000. */
  readonly timeoutMs: number;
}

/** How a batcher option is declared: a count (an integer) or a time in ms, its least value and its default. */
interface BatcherOptionDeclaration {
  readonly kind: 'integer' | 'ms';
  readonly min: number;
  readonly default: number;
}

/** Each {@link BatcherOptions} field, declared once: the defaults and {@link validateBatcherOptions} derive from it. */
const BATCHER_OPTIONS: { readonly [K in keyof BatcherOptions]: BatcherOptionDeclaration } = {
  maxBatchSize: { kind: 'integer', min: 1, default: 64 },
  maxQueueDelayMs: { kind: 'ms', min: 0, default: 0 },
  maxQueueLength: { kind: 'integer', min: 1, default: 1024 },
  maxConcurrentBatches: { kind: 'integer', min: 1, default: 2 },
  timeoutMs: { kind: 'ms', min: 0, default: 10_000 },
};

const batcherOptionEntries = Object.entries(BATCHER_OPTIONS) as Array<[keyof BatcherOptions, BatcherOptionDeclaration]>;

/** The defaults of {@link BatcherOptions}. */
export const DEFAULT_BATCHER_OPTIONS: BatcherOptions = Object.freeze(
  Object.fromEntries(batcherOptionEntries.map(([name, declaration]) => [name, declaration.default])) as Record<
    keyof BatcherOptions,
    number
  >,
);

/** Time source and timers; tests inject a manual one to assert exact groupings. */
export interface BatchScheduler {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock (`performance.now`, `setTimeout`). */
export const REAL_SCHEDULER: BatchScheduler = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** What the batcher reports for each dispatched batch (for metrics). */
export interface BatchReport {
  readonly key: string;
  readonly size: number;
  /** Time each item spent queued before dispatch, ms. */
  readonly queueMs: readonly number[];
  /** Time the engine call took, ms. */
  readonly runMs: number;
}

/**
 * Runs one batch: `items` all share `key` (e.g. a model version). Returns one result or `Error` per
 * item, in order, so that one bad item fails alone; a thrown error fails the whole batch.
 */
export type BatchRunner<I, O> = (key: string, items: readonly I[]) => Promise<ReadonlyArray<O | Error>>;

interface Pending<I, O> {
  readonly item: I;
  readonly enqueuedAt: number;
  readonly resolve: (value: O) => void;
  readonly reject: (error: Error) => void;
  timer: unknown;
  settled: boolean;
}

/**
 * The process-wide dynamic batcher: requests from any number of callers are queued per key and
 * dispatched to `run` in batches of at most `maxBatchSize`, at most `maxConcurrentBatches` at a
 * time. A full queue refuses new items with `KwsError('OVERLOADED')` (HTTP 503); an item not done
 * within `timeoutMs` fails with `KwsError('TIMEOUT')` (HTTP 504) and is removed from the queue.
 */
export class DynamicBatcher<I, O> {
  readonly options: BatcherOptions;
  private readonly queues = new Map<string, Array<Pending<I, O>>>();
  private queued = 0;
  private inFlight = 0;
  private timer: unknown = null;
  private timerDue = Number.POSITIVE_INFINITY;
  private closed = false;

  /**
   * @throws KwsError `INVALID_ARGUMENT` when an option is out of range (the message shows the value).
   */
  constructor(
    private readonly run: BatchRunner<I, O>,
    options: Partial<BatcherOptions> = {},
    private readonly scheduler: BatchScheduler = REAL_SCHEDULER,
    private readonly onBatch: (report: BatchReport) => void = () => undefined,
  ) {
    this.options = validateBatcherOptions({ ...DEFAULT_BATCHER_OPTIONS, ...options });
  }

  /** Items waiting for dispatch, across keys. */
  get queueLength(): number {
    return this.queued;
  }

  /** Batches being computed now. */
  get batchesInFlight(): number {
    return this.inFlight;
  }

  /**
   * Queues one item under `key` and resolves with its result.
   *
   * @throws KwsError `OVERLOADED` when the queue is full, `NOT_READY` after {@link close},
   *   `TIMEOUT` when the result takes longer than `timeoutMs`; or the error `run` gave for the item.
   */
  submit(key: string, item: I): Promise<O> {
    if (this.closed)
      return Promise.reject(new KwsError('NOT_READY', 'the server is shutting down and accepts no new inference'));
    if (this.queued >= this.options.maxQueueLength) {
      return Promise.reject(
        new KwsError(
          'OVERLOADED',
          `the inference queue is full (${this.options.maxQueueLength} clips waiting); retry shortly`,
        ),
      );
    }
    return new Promise<O>((resolve, reject) => {
      const pending: Pending<I, O> = {
        item,
        enqueuedAt: this.scheduler.now(),
        resolve,
        reject,
        timer: null,
        settled: false,
      };
      pending.timer = this.scheduler.setTimeout(() => this.expire(key, pending), this.options.timeoutMs);
      const queue = this.queues.get(key) ?? [];
      queue.push(pending);
      this.queues.set(key, queue);
      this.queued++;
      this.pump();
    });
  }

  /** Refuses new items and fails the queued ones with `NOT_READY`; batches in flight finish. */
  close(): void {
    this.closed = true;
    for (const [key, queue] of this.queues) {
      for (const pending of queue) this.settle(pending, new KwsError('NOT_READY', 'the server is shutting down'));
      this.queues.delete(key);
    }
    this.queued = 0;
    this.clearTimer();
  }

  private expire(key: string, pending: Pending<I, O>): void {
    const queue = this.queues.get(key);
    const index = queue?.indexOf(pending) ?? -1;
    if (queue !== undefined && index >= 0) {
      queue.splice(index, 1);
      this.queued--;
    }
    this.settle(pending, new KwsError('TIMEOUT', `inference did not finish within ${this.options.timeoutMs} ms`));
  }

  private settle(pending: Pending<I, O>, outcome: { value: O } | Error): void {
    if (pending.settled) return;
    pending.settled = true;
    this.scheduler.clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome.value);
  }

  /** Dispatches every batch that is due while an engine slot is free; otherwise arms the timer. */
  private pump(): void {
    while (this.inFlight < this.options.maxConcurrentBatches) {
      const next = this.nextDue();
      if (next === null) break;
      this.dispatch(next);
    }
    this.armTimer();
  }

  /** The key to dispatch now: a full queue first, else the one whose head has waited longest, if due. */
  private nextDue(): string | null {
    const now = this.scheduler.now();
    let oldestKey: string | null = null;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [key, queue] of this.queues) {
      const head = queue[0];
      if (head === undefined) continue;
      if (queue.length >= this.options.maxBatchSize) return key;
      if (head.enqueuedAt < oldest) {
        oldest = head.enqueuedAt;
        oldestKey = key;
      }
    }
    return oldestKey !== null && now - oldest >= this.options.maxQueueDelayMs ? oldestKey : null;
  }

  private dispatch(key: string): void {
    const queue = this.queues.get(key) ?? [];
    const batch = queue.splice(0, this.options.maxBatchSize);
    if (queue.length === 0) this.queues.delete(key);
    this.queued -= batch.length;
    this.inFlight++;
    const started = this.scheduler.now();
    const queueMs = batch.map((p) => started - p.enqueuedAt);
    const finish = (outcomes: ReadonlyArray<O | Error> | Error): void => {
      this.inFlight--;
      batch.forEach((pending, i) => {
        const outcome = outcomes instanceof Error ? outcomes : outcomes[i];
        if (outcome === undefined)
          this.settle(
            pending,
            new KwsError(
              'INTERNAL',
              `the engine returned ${(outcomes as readonly unknown[]).length} results for a batch of ${batch.length}`,
            ),
          );
        else this.settle(pending, outcome instanceof Error ? outcome : { value: outcome });
      });
      this.onBatch({ key, size: batch.length, queueMs, runMs: this.scheduler.now() - started });
      this.pump();
    };
    let running: Promise<ReadonlyArray<O | Error>>;
    try {
      running = this.run(
        key,
        batch.map((p) => p.item),
      );
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(finish, (error: unknown) => finish(error instanceof Error ? error : new Error(String(error))));
  }

  private armTimer(): void {
    let due = Number.POSITIVE_INFINITY;
    if (this.inFlight < this.options.maxConcurrentBatches) {
      for (const queue of this.queues.values()) {
        const head = queue[0];
        if (head !== undefined) due = Math.min(due, head.enqueuedAt + this.options.maxQueueDelayMs);
      }
    }
    if (due === this.timerDue) return;
    this.clearTimer();
    if (due === Number.POSITIVE_INFINITY) return;
    this.timerDue = due;
    this.timer = this.scheduler.setTimeout(
      () => {
        this.timer = null;
        this.timerDue = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(0, due - this.scheduler.now()),
    );
  }

  private clearTimer(): void {
    if (this.timer !== null) this.scheduler.clearTimeout(this.timer);
    this.timer = null;
    this.timerDue = Number.POSITIVE_INFINITY;
  }
}

/**
 * Checks batcher options once, with messages that show the bad value.
 *
 * @throws KwsError `INVALID_ARGUMENT`.
 */
export function validateBatcherOptions(options: BatcherOptions): BatcherOptions {
  for (const [name, { kind, min }] of batcherOptionEntries) {
    const value: unknown = options[name];
    const ok =
      typeof value === 'number' &&
      (kind === 'integer' ? Number.isInteger(value) : Number.isFinite(value)) &&
      value >= min;
    if (!ok)
      throw new KwsError(
        'INVALID_ARGUMENT',
        `${name} must be ${kind === 'integer' ? 'an integer' : 'a number of milliseconds'} of at least ${min}, got ${describeValue(value)}`,
      );
  }
  return options;
}
