import type { CreateEnsembleOptions } from './tfjs/ensemble-versions.js';
import type { ImportVersionOptions } from './tfjs/import-version.js';

/** A version made in seconds from other versions or a file, in a worker thread (`batch/version.worker.ts`). */
export type VersionTask =
  | { readonly kind: 'ensemble'; readonly options: Omit<CreateEnsembleOptions, 'onBegin'> }
  | { readonly kind: 'import'; readonly options: Omit<ImportVersionOptions, 'onBegin'> };

/** What a version worker thread is started with. */
export interface VersionWorkerData {
  /** The model repository (its index, `registry.db`, is inside it). */
  readonly modelsDir: string;
  readonly task: VersionTask;
}

/** Messages of a version worker to its parent: `begin` (the number reserved), then `done` or `error` (`CODE: message`). */
export type VersionWorkerMessage =
  | { readonly type: 'begin'; readonly version: number }
  | { readonly type: 'done'; readonly version: number }
  | { readonly type: 'error'; readonly message: string };
