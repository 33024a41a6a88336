import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-layers' Node bundle registers every op gradient (tfjs-core's own register_all_gradients is
// not loadable from Node ESM), which training needs even without layers.
import '@tensorflow/tfjs-layers';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { KwsError } from '../../errors/index.js';
import { registerWasmTrainingKernels } from './wasm-training-kernels.js';

/** TF.js backends in order of preference: native TensorFlow (GPU when present), WebAssembly, plain JS. */
export type TfjsBackendName = 'tensorflow' | 'wasm' | 'cpu';

/** What {@link selectTfjsBackend} settled on. */
export interface TfjsBackendChoice {
  readonly backend: TfjsBackendName;
  /** The package that provided it, e.g. `@tensorflow/tfjs-node-gpu`. */
  readonly provider: string;
  /** Why better backends were skipped, one line each. */
  readonly skipped: readonly string[];
}

const require = createRequire(import.meta.url);
let wasmReady = false;

/** Registers the WebAssembly backend's files and the project's training kernels (once). */
function prepareWasm(): void {
  if (wasmReady) return;
  setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
  registerWasmTrainingKernels();
  wasmReady = true;
}

async function tryNative(skipped: string[]): Promise<string | null> {
  for (const name of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(name);
      if (await tf.setBackend('tensorflow')) return name;
      skipped.push(`${name}: loaded but the tensorflow backend did not initialise`);
    } catch (error) {
      skipped.push(`${name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  return null;
}

/** Activates a backend with {@link selectTfjsBackend} unless one is already active. */
export async function ensureTfjsBackend(): Promise<string> {
  const active = tf.engine().backendName as string | null | undefined;
  if (active !== null && active !== undefined && active !== '') return active;
  return (await selectTfjsBackend()).backend;
}

/**
 * Chooses and activates the fastest TF.js backend available at run time: `tensorflow` when
 * `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node` loads (optional dependencies: they download
 * libtensorflow at install and may be absent), else `wasm` (with the project's Conv2D filter
 * gradient), else `cpu`. The process-wide TF.js backend is switched.
 *
 * @param preferred Start the search at this backend (e.g. `wasm` to skip native). Default `tensorflow`.
 * @throws KwsError `INTERNAL` when not even the cpu backend initialises.
 */
export async function selectTfjsBackend(preferred: TfjsBackendName = 'tensorflow'): Promise<TfjsBackendChoice> {
  // Production mode: no debug checks, and no console banner urging tfjs-node on the cpu backend.
  tf.env().set('PROD', true);
  const skipped: string[] = [];
  if (preferred === 'tensorflow') {
    const provider = await tryNative(skipped);
    if (provider !== null) return { backend: 'tensorflow', provider, skipped };
  }
  if (preferred !== 'cpu') {
    try {
      prepareWasm();
      if (await tf.setBackend('wasm')) return { backend: 'wasm', provider: '@tensorflow/tfjs-backend-wasm', skipped };
      skipped.push('@tensorflow/tfjs-backend-wasm: did not initialise');
    } catch (error) {
      skipped.push(`@tensorflow/tfjs-backend-wasm: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (await tf.setBackend('cpu')) return { backend: 'cpu', provider: '@tensorflow/tfjs-backend-cpu', skipped };
  throw new KwsError('INTERNAL', `no TF.js backend initialised: ${skipped.join('; ')}`);
}
