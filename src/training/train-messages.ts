import { isKwsError } from '../errors/index.js';
import type { EpochRecord } from '../registry/index.js';
import type { TrainVersionOptions } from './train-options.js';

/** Progress of a training job, as the job store keeps it. */
export interface TrainingProgress {
  /** `done` once the version is made: `epoch` is then the best (kept) epoch, its figures that epoch's. */
  readonly phase: 'loading' | 'training' | 'evaluating' | 'done';
  readonly epoch: number;
  readonly epochs: number;
  /** Null while loading. */
  readonly loss: number | null;
  readonly accuracy: number | null;
  readonly valAccuracy: number | null;
  readonly etaSeconds: number | null;
  /** The epochs finished so far, each once validated (the whole curve once done); absent from reports made before it was kept. */
  readonly history?: readonly EpochRecord[];
}

/** What the parent passes (`workerData.train`). */
export interface TrainWorkerData {
  /** The model repository (its index, `registry.db`, is inside it). */
  readonly modelsDir: string;
  readonly options: Omit<TrainVersionOptions, 'onBegin' | 'onProgress' | 'onEpoch'> & {
    readonly searchJob?: number;
  };
}

/** Messages to the parent. */
export type TrainWorkerMessage =
  | { readonly type: 'begin'; readonly version: number }
  | { readonly type: 'progress'; readonly progress: TrainingProgress }
  | { readonly type: 'done'; readonly version: number }
  | { readonly type: 'error'; readonly message: string };

/**
 * An error as a worker's `error` message: `CODE: message` for a KwsError (the parent rebuilds it
 * with its code, `fromWorkerText`), `INTERNAL: message` for anything else.
 */
export function workerErrorText(error: unknown): string {
  return isKwsError(error)
    ? `${error.code}: ${error.message}`
    : `INTERNAL: ${error instanceof Error ? error.message : String(error)}`;
}
