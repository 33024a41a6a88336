/**
 * A training job's worker thread: trains one model version with `trainVersion` (TF.js on wasm
 * occupies its thread for minutes, so never on the server's event loop) and reports to the parent:
 * `begin` (the version number), `progress` (throttled), `done` or `error`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isKwsError } from '../errors/index.js';
import { ModelRegistry } from '../registry/index.js';
import type { TrainingProgress } from './job-store.js';
import { trainVersion } from './versions.js';
import type { TrainVersionOptions } from './versions.js';

/** What the parent passes (`workerData.train`). */
export interface TrainWorkerData {
  readonly modelsDir: string;
  readonly dbPath: string;
  readonly options: Omit<TrainVersionOptions, 'onBegin' | 'onProgress' | 'onEpoch' | 'initialModel'> & { readonly searchJob?: number };
}

/** Messages to the parent. */
export type TrainWorkerMessage =
  | { readonly type: 'begin'; readonly version: number }
  | { readonly type: 'progress'; readonly progress: TrainingProgress }
  | { readonly type: 'done'; readonly version: number }
  | { readonly type: 'error'; readonly message: string };

const data = (workerData as { train: TrainWorkerData }).train;
const post = (message: TrainWorkerMessage): void => parentPort?.postMessage(message);
const registry = ModelRegistry.open(data.modelsDir, data.dbPath, { createModelsDir: true });
let last = 0;
try {
  const result = await trainVersion(registry, {
    ...data.options,
    onBegin: (version) => post({ type: 'begin', version }),
    onProgress: (p) => {
      const now = performance.now();
      if (now - last < 500 && p.phase === 'training' && p.step !== p.steps) return;
      last = now;
      post({ type: 'progress', progress: { phase: p.phase, epoch: p.epoch, epochs: p.epochs, loss: p.loss, accuracy: p.accuracy, valAccuracy: p.valAccuracy, etaSeconds: p.etaSeconds } });
    },
  });
  post({ type: 'done', version: result.record.version });
} catch (error) {
  post({ type: 'error', message: isKwsError(error) ? `${error.code}: ${error.message}` : `INTERNAL: ${error instanceof Error ? error.message : String(error)}` });
} finally {
  registry.close();
}
