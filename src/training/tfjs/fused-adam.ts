import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensorMap } from '@tensorflow/tfjs-core';

/** A named gradient, as `Optimizer.applyGradients` may receive it (tfjs-core does not export the type). */
interface NamedTensor {
  readonly name: string;
  readonly tensor: tf.Tensor;
}

/** Adam's moment estimates of one variable, `[size]` each. */
interface Moments {
  readonly m: Float32Array;
  readonly v: Float32Array;
}

/**
 * Adam (Kingma and Ba 2015, algorithm 1, with ε added to the bias-corrected √v̂ as TF.js's
 * `AdamOptimizer` does), updating each variable in one loop over its values instead of TF.js's
 * fifteen tensor ops per variable. On the wasm backend each op costs tens of microseconds of
 * dispatch, and TC-ResNet8's 50 variables made Adam about 750 of a step's 1,700 kernel calls; here a
 * step costs one read of each gradient and variable and one `assign` per variable. The moments are kept as
 * float32 arrays, so values agree with `tf.train.adam` to float32 rounding (test).
 *
 * Defaults are `tf.train.adam`'s: β1 0.9, β2 0.999, ε 1e-7 (the float32 backend epsilon).
 */
export class FusedAdamOptimizer extends tf.Optimizer {
  /**
   * Serialised as Adam, with Adam's config keys: tfjs-layers writes the optimizer's class name into a
   * saved model's training config, and loading it must make TF.js's own `AdamOptimizer` (this class
   * is never registered for deserialisation).
   */
  static get className(): string {
    return 'Adam';
  }

  private readonly moments = new Map<string, Moments>();
  private step = 0;

  /**
   * @param learningRate Step size α, > 0.
   * @throws RangeError for a learning rate, β or ε out of range.
   */
  constructor(
    readonly learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
  ) {
    super();
    if (!(learningRate > 0)) throw new RangeError(`learningRate must be > 0, got ${learningRate}`);
    if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1))
      throw new RangeError(`beta1 and beta2 must be in [0, 1), got ${beta1} and ${beta2}`);
    if (!(epsilon > 0)) throw new RangeError(`epsilon must be > 0, got ${epsilon}`);
  }

  override applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    const entries: Array<[string, tf.Tensor | undefined]> = Array.isArray(variableGradients)
      ? variableGradients.map((v) => [v.name, v.tensor])
      : Object.entries(variableGradients);
    this.step++;
    const { beta1, beta2, epsilon, learningRate } = this;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    for (const [name, gradient] of entries) {
      if (gradient === undefined || gradient === null) continue;
      const variable = tf.engine().registeredVariables[name];
      if (variable === undefined) throw new Error(`no variable named ${name}`);
      const g = gradient.dataSync();
      const w = variable.dataSync();
      let state = this.moments.get(name);
      if (state === undefined) {
        state = { m: new Float32Array(w.length), v: new Float32Array(w.length) };
        this.moments.set(name, state);
      }
      const { m, v } = state;
      const next = new Float32Array(w.length);
      for (let i = 0; i < w.length; i++) {
        const gi = g[i] as number;
        m[i] = beta1 * m[i]! + (1 - beta1) * gi;
        v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
        next[i] = w[i]! - (learningRate * (m[i]! / correction1)) / (Math.sqrt(v[i]! / correction2) + epsilon);
      }
      tf.tidy(() => variable.assign(tf.tensor(next, variable.shape, 'float32')));
    }
    this.incrementIterations();
  }

  override dispose(): void {
    this.moments.clear();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}
