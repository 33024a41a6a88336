import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describeValue, KwsError } from '../errors/index.js';
import type { FeatureShape } from '../features/index.js';
import { loadLayersModel } from './layers-model-file.js';
import { selectTfjsBackend } from './tfjs-backend.js';

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
}

/**
 * The energy score of each row of `[batch, classes]` logits: E = -logsumexp(z), computed as
 * -(max + log sum exp(z - max)) so that large logits do not overflow (Liu et al. 2020, eq. 4, T = 1).
 *
 * @returns `[batch]`.
 */
export function energyFromLogits(logits: ArrayLike<number>, batch: number, classes: number): Float32Array {
  const out = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[b * classes + c] as number);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp((logits[b * classes + c] as number) - max);
    out[b] = -(max + Math.log(sum));
  }
  return out;
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

function checkInput(geometry: ModelGeometry, features: Float32Array, batch: number): void {
  const expected = batch * geometry.frames * geometry.bins;
  if (!Number.isInteger(batch) || batch < 1 || features.length !== expected) {
    throw new KwsError('SHAPE_MISMATCH', `expected ${describeValue(batch)} x ${geometry.frames} x ${geometry.bins} = ${expected} features, got ${features.length}`);
  }
}

const require = createRequire(import.meta.url);

/**
 * True when onnxruntime-node lists CUDA and its CUDA provider library was installed (the npm
 * package lists CUDA on linux-x64 even when installed with `--onnxruntime-node-install=skip`, whose
 * CPU-only build lacks `libonnxruntime_providers_cuda.so`; trying it would only log an error).
 */
function onnxCudaInstalled(backends: ReadonlyArray<{ name: string }>): boolean {
  if (!backends.some((b) => b.name === 'cuda')) return false;
  const binding = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  return existsSync(join(binding, 'libonnxruntime_providers_cuda.so'));
}

/** onnxruntime-node session over `model.onnx` (opset 13, input `features`, outputs `probabilities` and, when exported, `logits`). */
async function openOnnx(dir: string, geometry: ModelGeometry, device: DeviceChoice, intraOpThreads: number): Promise<ModelSession> {
  const ort = await import('onnxruntime-node');
  const path = join(dir, 'model.onnx');
  const tried: string[] = [];
  const providers = device === 'auto' && onnxCudaInstalled(ort.listSupportedBackends()) ? ['cuda', 'cpu'] : ['cpu'];
  for (const provider of providers) {
    try {
      const session = await ort.InferenceSession.create(path, { executionProviders: [provider], intraOpNumThreads: intraOpThreads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
      const input = session.inputNames[0] ?? 'features';
      const output = session.outputNames.includes('probabilities') ? 'probabilities' : (session.outputNames[0] ?? 'probabilities');
      const logits = session.outputNames.includes('logits') ? 'logits' : null;
      return {
        engine: 'onnx',
        provider: `onnxruntime-node ${provider}`,
        geometry,
        async run(features, batch) {
          checkInput(geometry, features, batch);
          const result = await session.run({ [input]: new ort.Tensor('float32', features, [batch, geometry.frames, geometry.bins, 1]) });
          const probabilities = result[output]?.data as Float32Array;
          const energy = logits === null ? new Float32Array(batch).fill(Number.NaN) : energyFromLogits(result[logits]?.data as Float32Array, batch, geometry.classes);
          return { probabilities, energy };
        },
        dispose: () => session.release(),
      };
    } catch (error) {
      tried.push(`${provider}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  throw new KwsError('MALFORMED', `cannot load ${path} with onnxruntime-node (${tried.join('; ')})`);
}

/** TF.js layers model on the best backend available (tensorflow, then wasm, then cpu). */
async function openTfjs(dir: string, geometry: ModelGeometry, device: DeviceChoice): Promise<ModelSession> {
  const choice = await selectTfjsBackend(device === 'auto' ? 'tensorflow' : 'wasm');
  const model: tfl.LayersModel = await loadLayersModel(dir);
  const both = withLogits(model);
  return {
    engine: 'tfjs',
    provider: `tfjs ${choice.backend} (${choice.provider})`,
    geometry,
    async run(features, batch) {
      checkInput(geometry, features, batch);
      return predictModelOutput(both, features, batch, geometry);
    },
    dispose: async () => {
      model.dispose();
    },
  };
}

/**
 * One forward pass of a TF.js layers model over `[batch, frames, bins]` features (row-major), inside
 * `tf.tidy` (no tensor outlives it): `[batch, classes]` probabilities from the first output and
 * `[batch]` energy scores from the second, the logits (see {@link withLogits}); NaN energies when
 * the model has no second output.
 */
export function predictModelOutput(model: tfl.LayersModel, features: Float32Array, batch: number, geometry: ModelGeometry): ModelOutput {
  const [probabilities, logits] = tf.tidy(() => {
    const out = model.predict(tf.tensor4d(features, [batch, geometry.frames, geometry.bins, 1]));
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
  });
  return { probabilities: probabilities as Float32Array, energy: logits === undefined ? new Float32Array(batch).fill(Number.NaN) : energyFromLogits(logits, batch, geometry.classes) };
}

/**
 * The model with a second output, its `logits` layer (the input of the final softmax), when it has
 * one (every `buildModel` architecture does); else the model itself. Shares the weights.
 */
export function withLogits(model: tfl.LayersModel): tfl.LayersModel {
  const logits = model.layers.find((layer) => layer.name === 'logits');
  if (logits === undefined || model.outputs.length !== 1) return model;
  return tfl.model({ inputs: model.inputs, outputs: [model.outputs[0] as tfl.SymbolicTensor, logits.output as tfl.SymbolicTensor] });
}

/**
 * Opens a model version folder on a runtime, validates its output against `geometry` and warms it
 * up with one batch of zeros (the first run allocates and, on onnxruntime, optimises the graph).
 * With `device: 'auto'`, a GPU provider that fails to start falls back to the CPU.
 *
 * @param intraOpThreads onnxruntime threads per session (1 when each worker thread has its own session).
 * @throws KwsError `MALFORMED` when the model cannot be loaded or its output is not `[batch, classes]`;
 *   `FILE_NOT_FOUND` when the files are missing (TF.js).
 */
export async function openModelSession(engine: EngineKind, dir: string, geometry: ModelGeometry, device: DeviceChoice = 'auto', intraOpThreads = 1): Promise<ModelSession> {
  const session = engine === 'onnx' ? await openOnnx(dir, geometry, device, intraOpThreads) : await openTfjs(dir, geometry, device);
  const out = await session.run(new Float32Array(geometry.frames * geometry.bins), 1);
  if (out.probabilities.length !== geometry.classes) {
    await session.dispose();
    throw new KwsError('MALFORMED', `the model in ${dir} outputs ${out.probabilities.length} values per clip, but its version lists ${geometry.classes} labels`);
  }
  return session;
}
