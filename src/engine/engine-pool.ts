import { statSync, unlinkSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { workerEntry } from '../config/index.js';
import { describeValue, fromSerializedError, KwsError } from '../errors/index.js';
import type { TtaSpec } from './tta.js';
import type { FeatureConfig } from '../features/index.js';
import type {
  EmbedChunkTask,
  Projection,
  EmbeddedChunk,
  EngineTask,
  EngineWorkerData,
  ModelTarget,
  InferTask,
  PreparedClip,
  PrepareTask,
  SaveTarget,
  ScoreChunkTask,
  ScoredChunk,
  TaskResult,
} from './engine-tasks.js';
import type { DeviceChoice, EngineKind, ModelGeometry, ModelOutput } from './model-output.js';

/** Options of the {@link EnginePool}. */
export interface EnginePoolOptions {
  /** Worker threads (each decodes, computes features and runs its own model sessions), at least 1. Default: the CPU count. */
  readonly threads: number;
  /** Runtime for inference: `onnx` (onnxruntime-node, default) or `tfjs` (tfjs-node-gpu, tfjs-node, wasm, cpu). */
  readonly engine: EngineKind;
  /** `auto` (default) uses a GPU when the runtime finds one and falls back to the CPU; `cpu` never tries. */
  readonly device: DeviceChoice;
  /** Model versions each thread keeps loaded (LRU), at least 1. Default 4. */
  readonly maxLoadedModels: number;
}

/** The choices of `engine` and `device` (records, so that the compiler checks they name every member). */
const ENGINE_CHOICES: {
  readonly engine: Readonly<Record<EngineKind, true>>;
  readonly device: Readonly<Record<DeviceChoice, true>>;
} = { engine: { onnx: true, tfjs: true }, device: { auto: true, cpu: true } };

/** The defaults of {@link EnginePoolOptions} (`threads`: this machine's CPU count). */
export function defaultEnginePoolOptions(): EnginePoolOptions {
  return { threads: Math.max(1, availableParallelism()), engine: 'onnx', device: 'auto', maxLoadedModels: 4 };
}

/** @throws KwsError `INVALID_ARGUMENT` for a count below 1 or a choice not offered, showing the value. */
function validateEnginePoolOptions(options: EnginePoolOptions): EnginePoolOptions {
  for (const name of ['threads', 'maxLoadedModels'] as const) {
    const value = options[name];
    if (!Number.isInteger(value) || value < 1)
      throw new KwsError('INVALID_ARGUMENT', `${name} must be an integer of at least 1, got ${describeValue(value)}`);
  }
  for (const name of ['engine', 'device'] as const) {
    const value: string = options[name];
    if (!Object.hasOwn(ENGINE_CHOICES[name], value))
      throw new KwsError(
        'INVALID_ARGUMENT',
        `${name} must be ${Object.keys(ENGINE_CHOICES[name]).join(' or ')}, got ${describeValue(value)}`,
      );
  }
  return options;
}

/**
 * Worker threads that keep CPU work off the event loop (onnxruntime-node's `run()` and TF.js on
 * wasm occupy the thread they run on): {@link prepare} decodes one clip and computes its features,
 * {@link infer} runs one batch through a model version. Backed by piscina; errors come back as
 * KwsErrors with their codes.
 */
export class EnginePool {
  readonly options: EnginePoolOptions;
  private readonly pool: Piscina;
  private lastProvider = 'not loaded yet';

  /** @throws KwsError `INVALID_ARGUMENT` for a thread count or model bound below 1, or an unknown engine or device. */
  constructor(options: Partial<EnginePoolOptions> = {}) {
    this.options = validateEnginePoolOptions({ ...defaultEnginePoolOptions(), ...options });
    const { threads, maxLoadedModels, device } = this.options;
    const engineData: EngineWorkerData = { device, maxLoadedModels };
    const { filename, workerData } = workerEntry('engine', { engine: engineData });
    this.pool = new Piscina({
      filename,
      name: 'handle',
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData,
    });
  }

  /** The runtime that served the last batch, e.g. `onnxruntime-node cpu`. */
  get provider(): string {
    return this.lastProvider;
  }

  /** Tasks waiting for a free thread. */
  get queueSize(): number {
    return this.pool.queueSize;
  }

  /**
   * Decodes one clip (any supported container), fits it to 1 s and computes `[frames, bins]` features.
   * With `saveAs`, a clip that decodes also has its original bytes written to a new file by the
   * worker thread (file creation and hashing stay off the event loop); see `PreparedClip.saved`.
   * With `tta`, the clip's transformed views are featurized too (`PreparedClip.views`).
   *
   * @param options.maxDurationMs Longest audio accepted, ms. Default 10000.
   * @throws AudioDecodeError for bytes that are not usable audio (codes EMPTY, NOT_AUDIO, TOO_LONG...);
   *   KwsError `FILE_UNWRITABLE` when `saveAs` cannot be written.
   */
  async prepare(
    bytes: Uint8Array,
    featureConfig: FeatureConfig,
    options: { readonly maxDurationMs?: number; readonly saveAs?: SaveTarget; readonly tta?: TtaSpec | null } = {},
  ): Promise<PreparedClip> {
    const task: PrepareTask = {
      bytes,
      featureConfig,
      maxDurationMs: options.maxDurationMs ?? 10_000,
      ...(options.saveAs === undefined ? {} : { saveAs: options.saveAs }),
      ...(options.tta === undefined || options.tta === null ? {} : { tta: options.tta }),
    };
    return unwrap(
      await (this.pool.run({ op: 'prepare', ...task } satisfies EngineTask) as Promise<TaskResult<PreparedClip>>),
    );
  }

  /**
   * Runs `[batch, frames, bins]` features through the model version in `modelDir` with this pool's
   * engine; returns `[batch, classes]` probabilities and `[batch]` energy scores. The first call per
   * thread loads and warms it.
   * With `transfer`, `features` moves to the worker without a copy and is unusable afterwards.
   *
   * @throws KwsError `MALFORMED` when the model cannot be loaded, `SHAPE_MISMATCH` for a wrong feature count.
   */
  async infer(model: ModelTarget, features: Float32Array, batch: number, transfer = false): Promise<ModelOutput> {
    const task: InferTask = { engine: this.options.engine, ...model, features, batch };
    const transferList =
      transfer && features.byteOffset === 0 && features.byteLength === features.buffer.byteLength
        ? [features.buffer as ArrayBuffer]
        : undefined;
    const result = unwrap(
      await (this.pool.run(
        { op: 'infer', ...task } satisfies EngineTask,
        transferList === undefined ? {} : { transferList },
      ) as Promise<TaskResult<ModelOutput & { provider: string }>>),
    );
    this.lastProvider = result.provider;
    return {
      probabilities: result.probabilities,
      energy: result.energy,
      logits: null,
      ...(result.topWord === undefined ? {} : { topWord: result.topWord }),
    };
  }

  /**
   * Reads, decodes and featurizes a chunk of files in one worker thread and, unless `featuresOnly`,
   * runs them through the model version in `modelDir` as one batch (bulk scoring: one message per
   * chunk, not per clip). Files that fail are listed in `failures` with their codes. With `tta`,
   * each clip is also scored under its transforms and the outputs averaged (see `TtaSpec`).
   *
   * @throws KwsError `MALFORMED` when the model cannot be loaded.
   */
  async scoreChunk(
    paths: readonly string[],
    featureConfig: FeatureConfig,
    model: ModelTarget | null,
    maxDurationMs = 10_000,
    tta: TtaSpec | null = null,
  ): Promise<ScoredChunk> {
    const task: ScoreChunkTask = {
      paths,
      featureConfig,
      maxDurationMs,
      ...(tta === null ? {} : { tta }),
      ...(model === null ? { featuresOnly: true } : { model: { engine: this.options.engine, ...model } }),
    };
    const result = unwrap(
      await (this.pool.run({ op: 'scoreChunk', ...task } satisfies EngineTask) as Promise<TaskResult<ScoredChunk>>),
    );
    if (model !== null) this.lastProvider = result.provider;
    return result;
  }

  /**
   * Scores a chunk of files in one worker thread as {@link scoreChunk} does, and keeps each clip's
   * embedding: the `[dims]` activations the classifier reads (`penultimate`), or its logits where the
   * model has no such single layer (see `EmbeddingLayer`), or whose graph cannot be opened with
   * that output (the logits are then used; the next chunk tries again). For the dashboard's cluster map.
   *
   * @throws KwsError `MALFORMED` when the model itself cannot be loaded.
   */
  async embedChunk(
    paths: readonly string[],
    featureConfig: FeatureConfig,
    model: ModelTarget,
    maxDurationMs = 10_000,
  ): Promise<EmbeddedChunk> {
    const task: EmbedChunkTask = { engine: this.options.engine, ...model, paths, featureConfig, maxDurationMs };
    return unwrap(
      await (this.pool.run({ op: 'embedChunk', ...task } satisfies EngineTask) as Promise<TaskResult<EmbeddedChunk>>),
    );
  }

  /**
   * Projects `[n, dims]` embeddings to their first two principal components in a worker thread
   * (see `projectToPlane`; seconds for thousands of clips of hundreds of dimensions).
   */
  async project(embeddings: Float32Array, n: number, dims: number): Promise<Projection> {
    return unwrap(
      await (this.pool.run({ op: 'project', embeddings, n, dims } satisfies EngineTask) as Promise<
        TaskResult<Projection>
      >),
    );
  }

  /**
   * Loads and warms a model version on every thread (one zero batch per thread, run concurrently so
   * that each idle thread takes one). Returns the provider in use.
   *
   * @throws KwsError as {@link infer}.
   */
  async warmUp(modelDir: string, geometry: ModelGeometry): Promise<string> {
    const zeros = (): Float32Array => new Float32Array(geometry.frames * geometry.bins);
    await Promise.all(
      Array.from({ length: this.options.threads }, () =>
        this.infer({ modelDir, geometry, temperature: 1 }, zeros(), 1),
      ),
    );
    return this.lastProvider;
  }

  /** Stops the threads after their current tasks. */
  async close(): Promise<void> {
    await this.pool.destroy();
    removeOnnxDebugLog();
  }
}

/**
 * onnxruntime-node 1.30's Linux build creates an empty `<tmpdir>/mat-debug-<pid>.log` in every
 * process that loads it, and never removes it. This removes this process's file when it is still
 * empty (on `EnginePool.close` and at exit); one with content is left for whoever wants it. Never throws.
 */
export function removeOnnxDebugLog(): void {
  const path = join(tmpdir(), `mat-debug-${process.pid}.log`);
  try {
    if (statSync(path).size === 0) unlinkSync(path);
  } catch {
    // not there, or not ours to remove
  }
}
process.once('exit', removeOnnxDebugLog);

function unwrap<T>(result: TaskResult<T>): T {
  if (result.ok) return result.value;
  throw fromSerializedError(result.error);
}
