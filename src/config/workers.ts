import { Worker } from 'node:worker_threads';
import { disableOnnxRuntimeTelemetry } from './onnxruntime-env.js';

/** The worker-thread entries in `batch/`: each is `batch/<name>.worker.ts` (`.js` once built). */
export type WorkerName = 'engine' | 'train' | 'wal-checkpoint' | 'augment' | 'replica' | 'version';

/** What a worker thread is started with: the shim's URL and its `workerData`. */
export interface WorkerEntry {
  /** `batch/worker-entry.mjs`, the one shim every thread starts in. */
  readonly filename: string;
  /** `kwsWorker` tells the shim which entry to import, and whether to register tsx first; the rest is the entry's own data. */
  readonly workerData: Readonly<Record<string, unknown>> & {
    readonly kwsWorker: { readonly entry: string; readonly tsx: boolean };
  };
}

/**
 * Where a worker thread starts. From TypeScript sources (tests, `npm run kws`, benchmarks) the
 * entry is the `.ts` file and the shim registers tsx in the thread, since worker threads do not
 * inherit tsx's loader; built code (`dist/`) imports the compiled `.js`. `batch/` sits beside `src/`
 * in both trees, so one relative path serves both. Turns onnxruntime's telemetry off first (see
 * `disableOnnxRuntimeTelemetry`), since any thread may start onnxruntime.
 */
export function workerEntry(name: WorkerName, data: Readonly<Record<string, unknown>>): WorkerEntry {
  // Every thread starts here, on the main thread: a worker's process.env is a copy onnxruntime does not read.
  disableOnnxRuntimeTelemetry();
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`../../batch/${name}.worker.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;
  return {
    filename: new URL('../../batch/worker-entry.mjs', import.meta.url).href,
    workerData: { ...data, kwsWorker: { entry, tsx: fromSource } },
  };
}

/** Starts a plain worker thread on one of the `batch/` entries (see {@link workerEntry}). */
export function spawnWorker(name: WorkerName, data: Readonly<Record<string, unknown>>): Worker {
  const { filename, workerData } = workerEntry(name, data);
  return new Worker(new URL(filename), { workerData });
}
