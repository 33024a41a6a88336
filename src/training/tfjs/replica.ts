import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { TfjsBackendName } from '../../engine/index.js';
import { FusedAdamOptimizer } from './fused-adam.js';
import { DropoutSeeds } from './dropout-seeds.js';
import { applyFlatGradients, GradientCapture } from './gradient-capture.js';
import { outlierExposureLoss } from './outlier-exposure.js';

/** What a replica of the training model is built from: the model, every weight, and how it learns. */
export interface ReplicaInit {
  /** The model's topology as `LayersModel.toJSON(null, false)` writes it. */
  readonly topology: tf.io.ModelJSON['modelTopology'];
  /** Every weight of the model, in `model.weights` order (trainable ones and batch-norm statistics), flattened. */
  readonly weights: readonly Float32Array[];
  /** Adam's step size. */
  readonly learningRate: number;
  /** Weight of the outlier-exposure loss term; 0: plain cross-entropy (see `outlierExposureLoss`). */
  readonly outlierExposure: number;
  /** Feature frames and bins: inputs are `[rows, frames, bins, 1]`. */
  readonly frames: number;
  readonly bins: number;
  /** The TF.js backend the replica computes on (the training thread's). */
  readonly backend: TfjsBackendName;
  /** Which shard of each step the replica computes (1 for the first worker thread's); it picks its dropout masks. */
  readonly shard: number;
}

/** One replica's part of a training step. */
export interface ShardStep {
  /**
   * The averaged flat gradient of the previous step (see `flatGradients`), which the replica applies
   * with its own Adam before it computes this step, or null when there is none to apply.
   */
  readonly update: Float32Array | null;
  /** Rows of the batch this replica computes; 0 for a step with fewer rows than replicas (it only applies `update`). */
  readonly rows: number;
  /** `[rows, frames, bins]` features. */
  readonly features: Float32Array;
  /** `[rows, 12]` targets (one-hot labels, or soft targets). */
  readonly targets: Float32Array;
}

/** What a replica answers for a {@link ShardStep}. */
export interface ShardResult {
  /** The flat gradient of the shard's mean loss `[flatSize]`; null for a shard of 0 rows. */
  readonly gradients: Float32Array | null;
  /** The shard's loss (mean over its rows, plus regularisation) and accuracy; 0 for 0 rows. */
  readonly loss: number;
  readonly accuracy: number;
}

/** A copy of the training model that computes gradients on its shard of each step. */
export interface GradientReplica {
  /** Applies the step's `update`, then computes the gradient of the shard's loss. */
  step(shard: ShardStep): Promise<ShardResult>;
  /** Frees the replica (a worker thread's replica: stops the thread). */
  close(): Promise<void>;
}

/** The loss a replica compiles with: TF.js's categorical cross-entropy, or it with the outlier-exposure term. */
export function replicaLoss(
  outlierExposure: number,
): 'categoricalCrossentropy' | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor) {
  return outlierExposure === 0 ? 'categoricalCrossentropy' : outlierExposureLoss(outlierExposure);
}

/**
 * A replica in the calling thread: `model` compiled with a {@link GradientCapture}, its updates
 * applied with its own {@link FusedAdamOptimizer}. Replicas that start from the same weights and
 * apply the same updates stay equal, since Adam is deterministic. The model stays the caller's.
 */
export class LocalReplica implements GradientReplica {
  private readonly capture = new GradientCapture();
  private readonly dropout: DropoutSeeds;
  readonly optimizer: FusedAdamOptimizer;

  /**
   * @param model The replica's model (its weights are trained in place).
   * @param options `learningRate`, `outlierExposure`, `frames` and `bins` of {@link ReplicaInit}.
   * @param shard Which shard of each step this replica computes (0: the main one); its dropout
   *   masks depend on it (see `DropoutSeeds`).
   */
  constructor(
    readonly model: tfl.LayersModel,
    private readonly options: Pick<ReplicaInit, 'learningRate' | 'outlierExposure' | 'frames' | 'bins'>,
    shard = 0,
  ) {
    this.dropout = new DropoutSeeds(model, shard);
    this.optimizer = new FusedAdamOptimizer(options.learningRate);
    model.compile({ optimizer: this.capture, loss: replicaLoss(options.outlierExposure), metrics: ['accuracy'] });
  }

  /** Applies an update now (the flat gradient of a step; see {@link ShardStep.update}). */
  apply(update: Float32Array): void {
    applyFlatGradients(this.model, this.optimizer, update);
  }

  async step(shard: ShardStep): Promise<ShardResult> {
    if (shard.update !== null) this.apply(shard.update);
    if (shard.rows === 0) return { gradients: null, loss: 0, accuracy: 0 };
    const { frames, bins } = this.options;
    const x = tf.tensor4d(shard.features.subarray(0, shard.rows * frames * bins), [shard.rows, frames, bins, 1]);
    const classes = this.model.outputs[0]?.shape[1] as number; // 12, or the words of an all-words model
    const y = tf.tensor2d(shard.targets.subarray(0, shard.rows * classes), [shard.rows, classes]);
    try {
      const [loss, accuracy] = (await this.dropout.step(() => this.model.trainOnBatch(x, y))) as number[];
      return { gradients: this.capture.flatGradients(this.model), loss: loss as number, accuracy: accuracy as number };
    } finally {
      tf.dispose([x, y]);
    }
  }

  async close(): Promise<void> {
    this.optimizer.dispose();
    this.capture.dispose();
  }
}
