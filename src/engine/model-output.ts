import { describeValue, KwsError } from '../errors/index.js';
import type { FeatureShape } from '../features/index.js';
import { softmaxWithTemperature } from './logits.js';

/** The inference runtimes a model version can be served with. */
export type EngineKind = 'onnx' | 'tfjs';

/** Where to run: `auto` uses a GPU when the runtime has one (CUDA for onnxruntime, tfjs-node-gpu for TF.js), `cpu` never does. */
export type DeviceChoice = 'auto' | 'cpu';

/**
 * The input geometry of a model version: `[batch, frames, bins, 1]` in (its `FeatureShape`, e.g.
 * 98 x 40), `[batch, classes]` out.
 */
export interface ModelGeometry extends FeatureShape {
  /** Output classes (12). */
  readonly classes: number;
  /**
   * For a model of words (`kws train --all-words`), the label index of each of its outputs: the
   * session maps its `[batch, words]` output to the `classes` labels (see `groupWordOutput`).
   * Absent: the model outputs the labels themselves.
   */
  readonly words?: readonly number[];
}

/** What a model version outputs for a batch. */
export interface ModelOutput {
  /** `[batch, classes]` softmax probabilities, row-major. */
  readonly probabilities: Float32Array;
  /**
   * `[batch]` energy score of each clip, E(x) = -logsumexp(logits) (temperature 1; Liu et al. 2020,
   * "Energy-based Out-of-distribution Detection"): lower is more in-distribution. NaN when the
   * model exposes no `logits` output (a version exported before it did).
   */
  readonly energy: Float32Array;
  /** `[batch, classes]` logits (the input of the final softmax), row-major; null when the model exposes none. */
  readonly logits: Float32Array | null;
  /** For a model of words: `[batch]` index of each clip's most probable word (see `ModelGeometry.words`). */
  readonly topWord?: Int32Array;
}

/**
 * A model output at the version's temperature T: probabilities softmax(logits / T) (temperature
 * scaling, Guo et al. 2017), computed from the logits once, after either engine ran; the energy
 * stays at T = 1. T = 1, or a model without logits, leaves the output as it is.
 *
 * @throws KwsError `INVALID_ARGUMENT` for a temperature that is not a finite number above 0.
 */
export function atTemperature(output: ModelOutput, batch: number, classes: number, temperature: number): ModelOutput {
  if (temperature === 1 || output.logits === null) return output;
  return { ...output, probabilities: softmaxWithTemperature(output.logits, batch, classes, temperature) };
}

/**
 * One loaded model version on one runtime: features `[batch, frames, bins, 1]` (row-major
 * `Float32Array`) to softmax probabilities `[batch, classes]` and energy scores `[batch]`. Not
 * thread-safe; one per worker.
 */
export interface ModelSession {
  readonly engine: EngineKind;
  /** The runtime and device actually in use, e.g. `onnxruntime-node cpu` or `tfjs wasm`. */
  readonly provider: string;
  readonly geometry: ModelGeometry;
  /**
   * @throws KwsError `SHAPE_MISMATCH` when `features.length` is not `batch * frames * bins`.
   */
  run(features: Float32Array, batch: number): Promise<ModelOutput>;
  dispose(): Promise<void>;
}

/**
 * Checks that `features` holds `batch` clips of the session's geometry.
 *
 * @throws KwsError `SHAPE_MISMATCH` otherwise.
 */
export function checkInput(geometry: ModelGeometry, features: Float32Array, batch: number): void {
  const expected = batch * geometry.frames * geometry.bins;
  if (!Number.isInteger(batch) || batch < 1 || features.length !== expected) {
    throw new KwsError(
      'SHAPE_MISMATCH',
      `expected ${describeValue(batch)} x ${geometry.frames} x ${geometry.bins} = ${expected} features, got ${features.length}`,
    );
  }
}
