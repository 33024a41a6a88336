import { KwsError } from '../../errors/index.js';
import type { GradientReplica, LocalReplica, ShardResult } from './replica.js';

/**
 * Synchronous data-parallel training steps (the scheme of PyTorch's DistributedDataParallel, Li et
 * al. 2020, with the all-reduce done by this thread): each step's batch is cut into one contiguous
 * shard per replica (sizes differ by at most one row), every replica computes the gradient of its
 * shard's mean loss, the gradients are averaged weighted by rows (the gradient of the batch's mean
 * loss), and every replica applies that average with its own Adam before its next shard, so the
 * replicas' weights stay equal.
 *
 * Batch normalisation normalises each shard over its own rows (as DistributedDataParallel does
 * without SyncBatchNorm), so a run's result depends on the number of replicas, not on where they
 * run: replicas on worker threads give what the same number of replicas in one thread gives. The
 * moving statistics that inference uses are the main replica's (shard 0's), as DDP broadcasts rank
 * 0's buffers.
 */
export class DataParallelSteps {
  private pending: Float32Array | null = null;
  private mainApplied = true;
  /** The first step that failed: the replicas may have applied its update or not, so no step may follow. */
  private failure: Error | null = null;

  /**
   * @param main The replica of the model being trained (shard 0; its model is the result).
   * @param others The other replicas (shards 1...), built from the same weights.
   * @param clipSize Feature values per clip, `frames × bins`.
   */
  constructor(
    private readonly main: LocalReplica,
    private readonly others: readonly GradientReplica[],
    private readonly clipSize: number,
  ) {}

  /** The averaged gradient of the last step, `[flatSize]` (see `flatGradients`); null before the first. */
  get lastGradient(): Float32Array | null {
    return this.pending;
  }

  /** Replicas per step (the main one included). */
  get replicas(): number {
    return 1 + this.others.length;
  }

  /**
   * One step on `rows` clips: `features` `[rows, frames, bins]`, `targets` `[rows, 12]`. Returns the
   * batch's `[loss, accuracy]` (the shards' values weighted by rows).
   *
   * @throws KwsError `INTERNAL` when a replica fails (its thread's error, named), or `rows` is 0; every
   *   step after a failed one fails with the first failure (the replicas may be out of step).
   */
  async step(features: Float32Array, targets: Float32Array, rows: number): Promise<[number, number]> {
    if (rows === 0) throw new KwsError('INTERNAL', 'a training step needs at least one clip');
    if (this.failure !== null) throw this.failure;
    try {
      return await this.stepAll(features, targets, rows);
    } catch (error) {
      this.failure =
        error instanceof KwsError
          ? error
          : new KwsError('INTERNAL', `training thread 1: ${error instanceof Error ? error.message : String(error)}`);
      throw this.failure;
    }
  }

  private async stepAll(features: Float32Array, targets: Float32Array, rows: number): Promise<[number, number]> {
    const sizes = shardSizes(rows, this.replicas);
    const starts = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
    const { clipSize, pending } = this;
    const classes = targets.length / rows; // one-hot or soft targets, `[rows, classes]`
    const shard = (k: number): { rows: number; features: Float32Array; targets: Float32Array } => ({
      rows: sizes[k] as number,
      features: features.slice(
        (starts[k] as number) * clipSize,
        ((starts[k] as number) + (sizes[k] as number)) * clipSize,
      ),
      targets: targets.slice((starts[k] as number) * classes, ((starts[k] as number) + (sizes[k] as number)) * classes),
    });
    // The other replicas start first, so that they compute while this thread computes shard 0.
    const others = Promise.all(this.others.map((replica, k) => replica.step({ update: pending, ...shard(k + 1) })));
    others.catch(() => undefined); // observed below, after shard 0
    const mine = await this.main.step({
      update: this.mainApplied ? null : pending,
      rows: sizes[0] as number,
      features: features.subarray(0, (sizes[0] as number) * clipSize),
      targets: targets.subarray(0, (sizes[0] as number) * classes),
    });
    this.mainApplied = true;
    const results = [mine, ...(await others)];
    this.pending = averageGradients(results, sizes, rows);
    this.mainApplied = false;
    let loss = 0;
    let accuracy = 0;
    results.forEach((r, k) => {
      loss += (r.loss * (sizes[k] as number)) / rows;
      accuracy += (r.accuracy * (sizes[k] as number)) / rows;
    });
    return [loss, accuracy];
  }

  /** Applies the last step's update to the main replica's model, so that it holds everything learned so far. */
  sync(): void {
    if (this.pending !== null && !this.mainApplied) this.main.apply(this.pending);
    this.mainApplied = true;
  }

  /** Frees every replica (the other replicas' threads stop) and the main replica's optimizer state. */
  async close(): Promise<void> {
    await Promise.all([this.main, ...this.others].map((r) => r.close()));
  }
}

/**
 * Rows of each of `replicas` shards of a batch of `rows`: as equal as possible, the first
 * `rows mod replicas` one larger (shards of 0 rows when `rows < replicas`).
 */
export function shardSizes(rows: number, replicas: number): number[] {
  const base = Math.floor(rows / replicas);
  return Array.from({ length: replicas }, (_, k) => base + (k < rows % replicas ? 1 : 0));
}

/** Σ_k (rows_k / rows)·g_k over the shards that have a gradient. */
function averageGradients(results: readonly ShardResult[], sizes: readonly number[], rows: number): Float32Array {
  const first = results.find((r) => r.gradients !== null)?.gradients;
  if (first === undefined || first === null) throw new KwsError('INTERNAL', 'no replica computed a gradient');
  const sum = new Float32Array(first.length);
  results.forEach((r, k) => {
    const g = r.gradients;
    if (g === null) return;
    if (g.length !== sum.length)
      throw new KwsError('INTERNAL', `replica ${k} answered ${g.length} gradient values, expected ${sum.length}`);
    const weight = (sizes[k] as number) / rows;
    for (let i = 0; i < g.length; i++) sum[i] = (sum[i] as number) + weight * (g[i] as number);
  });
  return sum;
}
