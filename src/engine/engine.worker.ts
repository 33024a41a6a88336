/**
 * The body of the engine's worker threads (loaded by `worker-shim.mjs` through piscina): decode +
 * features for one clip, and inference for one batch. Expected failures are returned as
 * `{ ok: false, error }` (a serialized KwsError), not thrown, so their code survives the thread hop.
 */
import { workerData } from 'node:worker_threads';
import { decodeAudio, fitToLength, rmsDbfs } from '../audio/index.js';
import { toSerializedError } from '../errors/index.js';
import type { SerializedKwsError } from '../errors/index.js';
import { FeatureExtractor } from '../features/index.js';
import type { FeatureConfig } from '../features/index.js';
import { openModelSession } from './model-session.js';
import type { DeviceChoice, EngineKind, ModelGeometry, ModelSession } from './model-session.js';

/** Decode + fit + features for one clip. */
export interface PrepareTask {
  readonly bytes: Uint8Array;
  readonly featureConfig: FeatureConfig;
  /** Longest audio accepted, ms. */
  readonly maxDurationMs: number;
}

/** A clip ready for inference. */
export interface PreparedClip {
  /** `[frames, bins]` features, row-major. */
  readonly features: Float32Array;
  /** RMS of the clip fitted to the model's length, dBFS. */
  readonly rmsDbfs: number;
  /** Decoded duration before fitting, ms. */
  readonly durationMs: number;
  readonly container: string;
  readonly codec: string;
  readonly sourceSampleRateHz: number;
}

/** One batch for one model version. */
export interface InferTask {
  readonly engine: EngineKind;
  readonly modelDir: string;
  readonly geometry: ModelGeometry;
  /** `[batch, frames, bins]` features, row-major. */
  readonly features: Float32Array;
  readonly batch: number;
}

/** Settings every worker thread receives at start (piscina `workerData.engine`). */
export interface EngineWorkerData {
  readonly device: DeviceChoice;
  /** Most model sessions each thread keeps loaded (least recently used evicted). */
  readonly maxLoadedModels: number;
}

/** What a task answers. */
export type TaskResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: SerializedKwsError };

const settings: EngineWorkerData = (workerData as { engine?: EngineWorkerData } | null)?.engine ?? { device: 'auto', maxLoadedModels: 4 };
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

/** Decodes one clip, fits it to the model's length and computes its features. */
export async function prepare(task: PrepareTask): Promise<TaskResult<PreparedClip>> {
  try {
    const extractor = extractorFor(task.featureConfig);
    const decoded = await decodeAudio(task.bytes, { maxDurationMs: task.maxDurationMs });
    const clip = fitToLength(decoded.samples, extractor.config.clipSamples);
    const { info } = decoded;
    return { ok: true, value: { features: extractor.compute(clip), rmsDbfs: rmsDbfs(clip), durationMs: info.durationMs, container: info.container, codec: info.codec, sourceSampleRateHz: info.sourceSampleRateHz } };
  } catch (error) {
    return { ok: false, error: toSerializedError(error) };
  }
}

async function sessionFor(task: InferTask): Promise<ModelSession> {
  const key = `${task.engine}\t${task.modelDir}`;
  let session = sessions.get(key);
  if (session !== undefined) {
    sessions.delete(key); // re-insert: the Map's order is the LRU order
    sessions.set(key, session);
    return session;
  }
  session = openModelSession(task.engine, task.modelDir, task.geometry, settings.device);
  sessions.set(key, session);
  session.catch(() => sessions.delete(key));
  while (sessions.size > settings.maxLoadedModels) {
    const [oldest, evicted] = sessions.entries().next().value as [string, Promise<ModelSession>];
    sessions.delete(oldest);
    void evicted.then((s) => s.dispose(), () => undefined);
  }
  return session;
}

/** Runs one batch through the model version's session (loaded and warmed on first use). */
export async function infer(task: InferTask): Promise<TaskResult<{ probabilities: Float32Array; provider: string }>> {
  try {
    const session = await sessionFor(task);
    return { ok: true, value: { probabilities: await session.run(task.features, task.batch), provider: session.provider } };
  } catch (error) {
    return { ok: false, error: toSerializedError(error) };
  }
}
