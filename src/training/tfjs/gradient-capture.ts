import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** A named gradient, as `Optimizer.applyGradients` may receive it (tfjs-core does not export the type). */
interface NamedTensor {
  readonly name: string;
  readonly tensor: tf.Tensor;
}

/**
 * An optimizer that applies nothing: it keeps the gradients `trainOnBatch` hands it, so that one
 * replica's gradients can be averaged with other replicas' before the real optimizer takes the step
 * (synchronous data-parallel SGD, as PyTorch's DistributedDataParallel all-reduces gradients before
 * `optimizer.step()`). Compile a model with it, call `trainOnBatch`, then read {@link flatGradients}.
 */
export class GradientCapture extends tf.Optimizer {
  /** Never written to a saved model: training state only. */
  static get className(): string {
    return 'GradientCapture';
  }

  private readonly gradients = new Map<string, Float32Array>();

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: Array<[string, tf.Tensor]> = Array.isArray(variableGradients)
      ? variableGradients.map((v) => [v.name, v.tensor])
      : Object.entries(variableGradients);
    this.gradients.clear();
    for (const [name, gradient] of entries) this.gradients.set(name, gradient.dataSync() as Float32Array);
  }

  /**
   * The last step's gradients of `model`'s trainable weights, concatenated in `model.trainableWeights`
   * order (each flattened row-major): `[flatSize(model)]`. A weight without a gradient (it does not
   * reach the loss) counts as zeros.
   */
  flatGradients(model: tfl.LayersModel): Float32Array {
    const flat = new Float32Array(flatSize(model));
    let offset = 0;
    for (const weight of model.trainableWeights) {
      const gradient = this.gradients.get((weight.read() as tf.Variable).name);
      if (gradient !== undefined) flat.set(gradient, offset);
      offset += sizeOf(weight.shape);
    }
    return flat;
  }

  /** Forgets the last step's gradients. */
  override dispose(): void {
    this.gradients.clear();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

function sizeOf(shape: readonly (number | null)[]): number {
  return shape.reduce<number>((n, d) => n * (d ?? 1), 1);
}

/** Values in all of `model`'s trainable weights: the length of a flat gradient. */
export function flatSize(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + sizeOf(w.shape), 0);
}

/**
 * Applies a flat gradient `[flatSize(model)]` (trainable weights in `model.trainableWeights` order)
 * to `model`'s weights with `optimizer`, as one `applyGradients` call.
 */
export function applyFlatGradients(model: tfl.LayersModel, optimizer: tf.Optimizer, flat: Float32Array): void {
  let offset = 0;
  const named = model.trainableWeights.map((weight) => {
    const size = sizeOf(weight.shape);
    const tensor = tf.tensor(flat.subarray(offset, offset + size), weight.shape as number[], 'float32');
    offset += size;
    return { name: (weight.read() as tf.Variable).name, tensor };
  });
  try {
    optimizer.applyGradients(named);
  } finally {
    tf.dispose(named.map((n) => n.tensor));
  }
}
