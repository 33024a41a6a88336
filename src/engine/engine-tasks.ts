/**
 * The body of the engine's worker threads (entry `batch/engine.worker.ts`, run by piscina): decode +
 * features for one clip, and inference for one batch. Expected failures are returned as
 * `{ ok: false, error }` (a serialized KwsError), not thrown, so their code survives the thread hop.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAudio, DEFAULT_MAX_INPUT_BYTES, fitToLength, rmsDbfs } from '../audio/index.js';
import { averageViews, ttaViewCount, ttaViews } from './tta.js';
import type { TtaSpec } from './tta.js';
import {
  AudioDecodeError,
  fromFsError,
  isKwsError,
  KwsError,
  toSerializedError,
  UnreachableCaseError,
} from '../errors/index.js';
import type { SerializedKwsError } from '../errors/index.js';
import { argmax, isCommand, LABELS } from '../labels/index.js';
import { FeatureExtractor, signalShape } from '../features/index.js';
import type { FeatureConfig, SignalShape } from '../features/index.js';
import { logitsAsEmbedding, openEmbeddingSession } from './embedding.js';
import type { EmbeddingLayer, EmbeddingSession } from './embedding.js';
import { openModelSession } from './model-session.js';
import { projectToPlane } from './projection.js';
import { atTemperature } from './model-output.js';
import type { DeviceChoice, EngineKind, ModelGeometry, ModelOutput, ModelSession } from './model-output.js';

/**
 * The serialized form of what a task threw. An unexpected error (not a `KwsError`) crosses the thread
 * as `INTERNAL` with a masked message, so its stack is written to this process's stderr first: the
 * server log then says why a request got a 500.
 */
function taskError(error: unknown): SerializedKwsError {
  const serialized = toSerializedError(error);
  if (serialized.code === 'INTERNAL' && !isKwsError(error))
    process.stderr.write(
      `kws engine worker: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  return serialized;
}
/** Decode + fit + features for one clip. */
export interface PrepareTask {
  readonly bytes: Uint8Array;
  readonly featureConfig: FeatureConfig;
  /** Longest audio accepted, ms. */
  readonly maxDurationMs: number;
  /** Where to keep the original bytes once they decode (see {@link SaveTarget}); omitted: nothing is written. */
  readonly saveAs?: SaveTarget;
  /** Test-time augmentation: also featurize the clip under these transforms (`PreparedClip.views`). */
  readonly tta?: TtaSpec | null;
}

/**
 * A new file for a clip's original bytes: `<dir>/<stem>.<container>`, the extension taken from the
 * detected container. Created exclusively (`wx`), so an existing file is never overwritten.
 */
export interface SaveTarget {
  /** An existing folder. */
  readonly dir: string;
  /** A fresh file name without extension (a random UUID). */
  readonly stem: string;
}

/** The original bytes of a prepared clip as written to its {@link SaveTarget}. */
export interface SavedClip {
  /** File name inside the target folder, e.g. `3f2c...e1.wav`. */
  readonly file: string;
  /** SHA-256 of the bytes, lowercase hex. */
  readonly sha256: string;
}

/** A clip ready for inference. */
export interface PreparedClip {
  /** `[frames, bins]` features, row-major. */
  readonly features: Float32Array;
  /** With TTA, `[frames, bins]` features of each transformed view, in `ttaViews` order after the clip itself; else empty. */
  readonly views: readonly Float32Array[];
  /** RMS of the clip fitted to the model's length, dBFS. */
  readonly rmsDbfs: number;
  /** {@link SignalShape} of the fitted clip (the non-speech rule of `decide`). */
  readonly shape: SignalShape;
  /** Decoded duration before fitting, ms. */
  readonly durationMs: number;
  readonly container: string;
  readonly codec: string;
  readonly sourceSampleRateHz: number;
  /** The written file, when the task named a {@link SaveTarget}; else null. */
  readonly saved: SavedClip | null;
}

/** One batch for one model version. */
export interface InferTask extends ModelTarget {
  readonly engine: EngineKind;
  /** `[batch, frames, bins]` features, row-major. */
  readonly features: Float32Array;
  readonly batch: number;
}

/**
 * A model version as the engine runs it: its folder, its `[frames, bins]` in / `classes` out
 * geometry, and the temperature T of its probabilities, softmax(logits / T) (1 = the raw softmax;
 * the version's `calibration.temperature`).
 */
export interface ModelTarget {
  readonly modelDir: string;
  readonly geometry: ModelGeometry;
  readonly temperature: number;
}

/** Read, decode, fit, features and (unless `featuresOnly`) inference for a chunk of files (bulk scoring). */
export interface ScoreChunkTask {
  readonly paths: readonly string[];
  readonly featureConfig: FeatureConfig;
  readonly maxDurationMs: number;
  /** Inference target; omitted with `featuresOnly`. */
  readonly model?: ModelTarget & { readonly engine: EngineKind };
  /** Stop after features (to time decode + features alone). */
  readonly featuresOnly?: boolean;
  /** Test-time augmentation: each clip is also scored under these transforms and the outputs averaged. */
  readonly tta?: TtaSpec | null;
}

/** Results of a chunk, in the order of `paths`; a failed file has zero probabilities and an entry in `failures`. */
export interface ScoredChunk {
  /** `[n, classes]` softmax probabilities (empty with `featuresOnly`). */
  readonly probabilities: Float32Array;
  /** `[n]` energy scores (see `ModelOutput`; NaN for a failed file or a model without logits; empty with `featuresOnly`). */
  readonly energy: Float32Array;
  /** `[n]` RMS of each fitted clip, dBFS (-Infinity for a failed file). */
  readonly rmsDbfs: Float32Array;
  /**
   * `[n]` {@link SignalShape} of each fitted clip whose argmax (over the 12 labels) is a command;
   * null for the others, whose answer the non-speech rule of `decide` cannot change (it reads a shape
   * only for a command answer, `isCommand`), so bulk scoring skips the 0.08 ms a shape costs; null
   * too for a failed file and with `featuresOnly`.
   */
  readonly shapes: ReadonlyArray<SignalShape | null>;
  readonly failures: ReadonlyArray<{ readonly index: number; readonly code: string; readonly message: string }>;
  /** The runtime that ran the batch. */
  readonly provider: string;
}

/** Settings every worker thread receives at start (piscina `workerData.engine`). */
export interface EngineWorkerData {
  readonly device: DeviceChoice;
  /** Most model sessions each thread keeps loaded (least recently used evicted). */
  readonly maxLoadedModels: number;
}

/** What a task answers. */
export type TaskResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: SerializedKwsError };

let settings: EngineWorkerData = { device: 'auto', maxLoadedModels: 4 };
const extractors = new Map<string, FeatureExtractor>();
const sessions = new Map<string, Promise<ModelSession>>();

function extractorFor(config: FeatureConfig): FeatureExtractor {
  const key = JSON.stringify(config);
  let extractor = extractors.get(key);
  if (extractor === undefined) {
    extractor = new FeatureExtractor(config);
    extractors.set(key, extractor);
  }
  return extractor;
}

/**
 * Writes a decoded clip's original bytes to a new file (this thread may block: a file create costs
 * 0.02-0.4 ms of system time, which would otherwise be spent on the event loop).
 *
 * @throws KwsError `FILE_UNWRITABLE` when the file cannot be created or written.
 */
function save(bytes: Uint8Array, container: string, target: SaveTarget): SavedClip {
  const file = `${target.stem}.${container}`;
  const path = join(target.dir, file);
  try {
    writeFileSync(path, bytes, { flag: 'wx' });
  } catch (error) {
    // A write that failed part-way (ENOSPC) leaves a partial file of ours; an existing one is not ours.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') rmSync(path, { force: true });
    throw fromFsError(error, path, 'write');
  }
  return { file, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Decodes one clip, fits it to the model's length and computes its features; keeps its bytes when asked. */
async function prepare(task: PrepareTask): Promise<TaskResult<PreparedClip>> {
  try {
    const extractor = extractorFor(task.featureConfig);
    const decoded = await decodeAudio(task.bytes, { maxDurationMs: task.maxDurationMs });
    const clip = fitToLength(decoded.samples, extractor.config.clipSamples);
    const { info } = decoded;
    const features = extractor.compute(clip);
    const views =
      task.tta === null || task.tta === undefined
        ? []
        : ttaViews(clip, task.tta, extractor.config.sampleRateHz)
            .slice(1)
            .map((view) => extractor.compute(view));
    const saved = task.saveAs === undefined ? null : save(task.bytes, info.container, task.saveAs);
    return {
      ok: true,
      value: {
        features,
        views,
        rmsDbfs: rmsDbfs(clip),
        shape: signalShape(clip, extractor.config.sampleRateHz),
        durationMs: info.durationMs,
        container: info.container,
        codec: info.codec,
        sourceSampleRateHz: info.sourceSampleRateHz,
        saved,
      },
    };
  } catch (error) {
    return { ok: false, error: taskError(error) };
  }
}

/**
 * A cache of sessions opened at most once per key, bounded by `settings.maxLoadedModels` (least
 * recently used first out, disposed); a failed open is not kept, so the next call tries again.
 */
function lruSession<T extends { dispose(): Promise<void> } | null>(
  cache: Map<string, Promise<T>>,
  key: string,
  open: () => Promise<T>,
): Promise<T> {
  let session = cache.get(key);
  if (session !== undefined) {
    cache.delete(key); // re-insert: the Map's order is the LRU order
    cache.set(key, session);
    return session;
  }
  session = open();
  cache.set(key, session);
  session.catch(() => cache.delete(key));
  while (cache.size > settings.maxLoadedModels) {
    const [oldest, evicted] = cache.entries().next().value as [string, Promise<T>];
    cache.delete(oldest);
    void evicted.then(
      (s) => s?.dispose(),
      () => undefined,
    );
  }
  return session;
}

async function sessionFor(task: Pick<InferTask, 'engine' | 'modelDir' | 'geometry'>): Promise<ModelSession> {
  return lruSession(sessions, `${task.engine}\t${task.modelDir}`, () =>
    openModelSession(task.engine, task.modelDir, task.geometry, settings.device),
  );
}

/**
 * Reads, decodes and fits one file to the model's clip length (`[clipSamples]` samples); a worker
 * thread may block, and a blocking read is far cheaper than fs.promises for small files. As
 * `readRegularFile`, synchronously: anything but a regular file (a FIFO would block the thread) is
 * refused before it is opened, and a file over `DEFAULT_MAX_INPUT_BYTES` from its size.
 *
 * @throws KwsError `FILE_NOT_FOUND`/`FILE_UNREADABLE` for a file that cannot be read; AudioDecodeError
 *   (`TOO_LARGE` for a file over the limit).
 */
async function readClip(path: string, extractor: FeatureExtractor, maxDurationMs: number): Promise<Float32Array> {
  let bytes: Uint8Array;
  try {
    const stats = statSync(path);
    if (!stats.isFile()) throw new KwsError('FILE_UNREADABLE', `${path} is not a regular file`);
    if (stats.size > DEFAULT_MAX_INPUT_BYTES)
      throw new AudioDecodeError(
        'TOO_LARGE',
        `the file is ${stats.size} bytes, over the ${DEFAULT_MAX_INPUT_BYTES}-byte limit`,
      );
    bytes = readFileSync(path);
  } catch (error) {
    throw error instanceof KwsError ? error : fromFsError(error, path, 'read');
  }
  return fitToLength((await decodeAudio(bytes, { maxDurationMs })).samples, extractor.config.clipSamples);
}

/**
 * Reads every file of a chunk ({@link readClip}) and hands each clip that decodes to `use` with its
 * rank among the good ones; a file that fails is listed, not thrown.
 *
 * @returns `[n]` RMS of each fitted clip (dBFS; -Infinity for a failed file), the failures, and the
 *   indices of the good files in order.
 */
async function readChunk(
  paths: readonly string[],
  extractor: FeatureExtractor,
  maxDurationMs: number,
  use: (clip: Float32Array, k: number) => void,
): Promise<{ rms: Float32Array; clips: Float32Array[]; failures: ChunkFailure[]; good: number[] }> {
  const rms = new Float32Array(paths.length).fill(Number.NEGATIVE_INFINITY);
  const clips: Float32Array[] = [];
  const failures: ChunkFailure[] = [];
  const good: number[] = [];
  for (let i = 0; i < paths.length; i++) {
    try {
      const clip = await readClip(paths[i] as string, extractor, maxDurationMs);
      use(clip, good.length);
      rms[i] = rmsDbfs(clip);
      clips.push(clip);
      good.push(i);
    } catch (error) {
      const { code, message } = taskError(error);
      failures.push({ index: i, code, message });
    }
  }
  return { rms, clips, failures, good };
}

/**
 * The {@link SignalShape} of each good clip whose argmax in `probabilities` (`[n, classes]`, label
 * order first) is a command, at its index in the chunk; null elsewhere.
 */
function commandShapes(
  probabilities: Float32Array,
  classes: number,
  good: readonly number[],
  clips: readonly Float32Array[],
  sampleRateHz: number,
  n: number,
): Array<SignalShape | null> {
  const shapes: Array<SignalShape | null> = Array.from({ length: n }, () => null);
  good.forEach((index, k) => {
    if (isCommand(LABELS[argmax(probabilities, index * classes)] as string))
      shapes[index] = signalShape(clips[k] as Float32Array, sampleRateHz);
  });
  return shapes;
}

/** A file of a chunk that failed: its index in the chunk and its error. */
type ChunkFailure = { readonly index: number; readonly code: string; readonly message: string };

/**
 * Scores a chunk of files in this thread: each file is read, decoded, fitted and featurized; the
 * good ones go through the model in one batch. A file that fails is reported, not thrown.
 */
async function scoreChunk(task: ScoreChunkTask): Promise<TaskResult<ScoredChunk>> {
  try {
    const extractor = extractorFor(task.featureConfig);
    const { frames, bins } = extractor.shape;
    const n = task.paths.length;
    const tta = task.featuresOnly === true ? null : (task.tta ?? null);
    const views = ttaViewCount(tta);
    // Without TTA each clip's features go straight into the batch; with it, the fitted clips are kept
    // and their views are featurized a group at a time (see scoreViews), so no batch exceeds n rows.
    const batchRows = Math.max(n, views); // at least one clip's views
    const features = new Float32Array(batchRows * frames * bins);
    const {
      rms,
      clips: fitted,
      failures,
      good,
    } = await readChunk(task.paths, extractor, task.maxDurationMs, (clip, k) => {
      if (tta === null) extractor.compute(clip, features, k * frames * bins);
    });
    if (task.featuresOnly === true || task.model === undefined)
      return {
        ok: true,
        value: {
          probabilities: new Float32Array(0),
          energy: new Float32Array(0),
          rmsDbfs: rms,
          shapes: task.paths.map(() => null),
          failures,
          provider: 'none',
        },
      };
    const { geometry } = task.model;
    const probabilities = new Float32Array(n * geometry.classes);
    const energy = new Float32Array(n).fill(Number.NaN);
    let provider = 'none';
    if (good.length > 0) {
      const session = await sessionFor(task.model);
      const target = task.model;
      const run = async (rows: number): Promise<ModelOutput> =>
        atTemperature(
          await session.run(features.subarray(0, rows * frames * bins), rows),
          rows,
          geometry.classes,
          target.temperature,
        );
      const out =
        tta === null
          ? await run(good.length)
          : await scoreViews(
              fitted,
              tta,
              { views, maxRows: batchRows, classes: geometry.classes },
              extractor,
              features,
              run,
            );
      good.forEach((index, k) => {
        probabilities.set(
          out.probabilities.subarray(k * geometry.classes, (k + 1) * geometry.classes),
          index * geometry.classes,
        );
        energy[index] = out.energy[k] as number;
      });
      provider = session.provider;
    }
    const shapes = commandShapes(probabilities, geometry.classes, good, fitted, extractor.config.sampleRateHz, n);
    return { ok: true, value: { probabilities, energy, rmsDbfs: rms, shapes, failures, provider } };
  } catch (error) {
    return { ok: false, error: taskError(error) };
  }
}

/**
 * Test-time augmentation over `clips`: groups of floor(`maxRows` / `views`) clips at a time have all
 * their views featurized into `features` (clip k's at rows k·views ..< (k + 1)·views of the group)
 * and run, and each clip's outputs are averaged (see {@link averageViews}).
 */
async function scoreViews(
  clips: readonly Float32Array[],
  tta: TtaSpec,
  { views, maxRows, classes }: { views: number; maxRows: number; classes: number },
  extractor: FeatureExtractor,
  features: Float32Array,
  run: (rows: number) => Promise<ModelOutput>,
): Promise<ModelOutput> {
  const probabilities = new Float32Array(clips.length * classes);
  const energy = new Float32Array(clips.length);
  const group = Math.max(1, Math.floor(maxRows / views));
  for (let start = 0; start < clips.length; start += group) {
    const members = clips.slice(start, start + group);
    members.forEach((clip, k) =>
      ttaViews(clip, tta, extractor.config.sampleRateHz).forEach((view, v) =>
        extractor.compute(view, features, (k * views + v) * extractor.clipSize),
      ),
    );
    const out = averageViews(await run(members.length * views), views, classes);
    probabilities.set(out.probabilities, start * classes);
    energy.set(out.energy, start);
  }
  return { probabilities, energy, logits: null };
}

/** Runs one batch through the model version's session (loaded and warmed on first use). */
async function infer(task: InferTask): Promise<TaskResult<ModelOutput & { provider: string }>> {
  try {
    const session = await sessionFor(task);
    const out = atTemperature(
      await session.run(task.features, task.batch),
      task.batch,
      task.geometry.classes,
      task.temperature,
    );
    // The logits stay in this thread: callers get calibrated probabilities and energies.
    return {
      ok: true,
      value: {
        probabilities: out.probabilities,
        energy: out.energy,
        logits: null,
        provider: session.provider,
        ...(out.topWord === undefined ? {} : { topWord: out.topWord }),
      },
    };
  } catch (error) {
    return { ok: false, error: taskError(error) };
  }
}

/** Read, decode, fit, features, inference and the embedding of each file of a chunk (the dashboard's cluster map). */
export interface EmbedChunkTask extends ModelTarget {
  readonly engine: EngineKind;
  readonly paths: readonly string[];
  readonly featureConfig: FeatureConfig;
  /** Longest audio accepted, ms. */
  readonly maxDurationMs: number;
}

/** Results of {@link EmbedChunkTask}, in the order of `paths`; a failed file has zero rows and an entry in `failures`. */
export interface EmbeddedChunk extends Omit<ScoredChunk, 'provider'> {
  /** `[n, dims]` activations of `layer` (see `EmbeddingLayer`). */
  readonly embeddings: Float32Array;
  readonly dims: number;
  readonly layer: EmbeddingLayer;
}

const embeddingSessions = new Map<string, Promise<EmbeddingSession | null>>();

/** Scores a chunk and keeps each clip's embedding: the layer the classifier reads, else the logits. */
async function embedChunk(task: EmbedChunkTask): Promise<TaskResult<EmbeddedChunk>> {
  try {
    const extractor = extractorFor(task.featureConfig);
    const n = task.paths.length;
    const features = new Float32Array(n * extractor.clipSize);
    const { rms, clips, failures, good } = await readChunk(task.paths, extractor, task.maxDurationMs, (clip, k) =>
      extractor.compute(clip, features, k * extractor.clipSize),
    );
    // A version whose graph has no one classifier layer is mapped by its logits (null, kept); one that
    // fails to open so is too, but it is tried again on the next chunk.
    const session = await lruSession(embeddingSessions, task.modelDir, () =>
      openEmbeddingSession(task.modelDir, task.geometry),
    ).catch(() => null);
    const rows = features.subarray(0, good.length * extractor.clipSize);
    const raw =
      good.length === 0
        ? null
        : session !== null
          ? await session.run(rows, good.length)
          : logitsAsEmbedding(await (await sessionFor(task)).run(rows, good.length), good.length);
    const { classes } = task.geometry;
    const dims = raw?.dims ?? 0;
    const out = raw === null ? null : atTemperature(raw, good.length, classes, task.temperature);
    const probabilities = new Float32Array(n * classes);
    const energy = new Float32Array(n).fill(Number.NaN);
    const embeddings = new Float32Array(n * dims);
    good.forEach((index, k) => {
      probabilities.set(out?.probabilities.subarray(k * classes, (k + 1) * classes) ?? [], index * classes);
      energy[index] = out?.energy[k] as number;
      embeddings.set(raw?.embeddings.subarray(k * dims, (k + 1) * dims) ?? [], index * dims);
    });
    const layer = raw?.layer ?? (session === null ? 'logits' : 'penultimate');
    const shapes = commandShapes(probabilities, classes, good, clips, extractor.config.sampleRateHz, n);
    return { ok: true, value: { probabilities, energy, rmsDbfs: rms, shapes, failures, embeddings, dims, layer } };
  } catch (error) {
    return { ok: false, error: taskError(error) };
  }
}

/** A PCA projection of `[n, dims]` embeddings to 2-D (the cluster map), off the event loop. */
export interface ProjectTask {
  readonly embeddings: Float32Array;
  readonly n: number;
  readonly dims: number;
}

/** Result of {@link ProjectTask}: `[n]` coordinates on each axis and the share of variance each explains. */
export interface Projection {
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly explained: [number, number];
}

function project(task: ProjectTask): TaskResult<Projection> {
  try {
    return { ok: true, value: projectToPlane(task.embeddings, task.n, task.dims) };
  } catch (error) {
    return { ok: false, error: taskError(error) };
  }
}

/** One task for an engine thread, tagged with the operation it asks for. */
export type EngineTask =
  | ({ readonly op: 'prepare' } & PrepareTask)
  | ({ readonly op: 'infer' } & InferTask)
  | ({ readonly op: 'scoreChunk' } & ScoreChunkTask)
  | ({ readonly op: 'embedChunk' } & EmbedChunkTask)
  | ({ readonly op: 'project' } & ProjectTask);

/** What each operation answers. */
export type EngineTaskResult =
  | TaskResult<PreparedClip>
  | TaskResult<ModelOutput & { provider: string }>
  | TaskResult<ScoredChunk>
  | TaskResult<EmbeddedChunk>
  | TaskResult<Projection>;

/**
 * Configures this thread (device, model cache bound; defaults `auto` and 4) and returns its task
 * handler: decode + features for one clip (`prepare`), one inference batch (`infer`), or a whole
 * bulk-scoring chunk (`scoreChunk`). Expected failures come back as `{ ok: false }`, never thrown.
 */
export function engineWorker(data: EngineWorkerData | undefined): (task: EngineTask) => Promise<EngineTaskResult> {
  if (data !== undefined) settings = data;
  return async (task) => {
    switch (task.op) {
      case 'prepare':
        return prepare(task);
      case 'infer':
        return infer(task);
      case 'scoreChunk':
        return scoreChunk(task);
      case 'embedChunk':
        return embedChunk(task);
      case 'project':
        return project(task);
      default:
        throw new UnreachableCaseError(task);
    }
  };
}
