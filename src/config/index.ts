import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where kws-serve keeps things. The only module that reads `process.env`. */
export interface KwsConfig {
  /**
   * The model repository: one folder per model version, with its index and aliases. `KWS_MODELS_DIR`,
   * default `<dataDir>/models` (writable; the bundled `<project>/models` stays readable from it).
   */
  readonly modelsDir: string;
  /** Whether `modelsDir` is the default (an option or `KWS_MODELS_DIR` did not name it): then it is created when missing. */
  readonly modelsDirIsDefault: boolean;
  /** Mutable state: the SQLite database, uploads, job outputs. `KWS_DATA_DIR`, default `./var`. */
  readonly dataDir: string;
  /**
   * Folders the server may bulk-score (GraphQL `scoreTestSet`); anything outside is refused.
   * `KWS_SCORE_ROOTS` (separated by the platform's path delimiter, `:` on Linux), default `<dataDir>/inputs`.
   */
  readonly scoreRoots: readonly string[];
  /**
   * The Redis that jobs go through (`redis://[:password@]host:port[/db]`): `--redis`, else
   * `KWS_REDIS_URL`; null (the default) for the embedded queue in the server process.
   */
  readonly redisUrl: string | null;
}

/**
 * The project root: the nearest folder above this file that holds `package.json` (`src/config/..`
 * from sources, `dist/src/config/../..` once built).
 */
export const PROJECT_ROOT = findProjectRoot(fileURLToPath(new URL('.', import.meta.url)));

/** The browser apps `npm run build` writes (`scripts/build-web.mjs`): `dashboard/` and `explorer/`. */
export const WEB_DIR = join(PROJECT_ROOT, 'dist', 'web');

function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(from, '../..');
  }
}

/**
 * The configuration from the environment, with defaults: `./var`, and the model repository
 * `<dataDir>/models`. Explicit `overrides` (from command-line options) win over the environment.
 */
export function loadConfig(overrides: Partial<Omit<KwsConfig, 'modelsDirIsDefault'>> = {}): KwsConfig {
  const dataDir = resolve(overrides.dataDir ?? process.env['KWS_DATA_DIR'] ?? 'var');
  const fromEnv = (process.env['KWS_SCORE_ROOTS'] ?? '').split(delimiter).filter((p) => p !== '');
  const modelsDir = overrides.modelsDir ?? process.env['KWS_MODELS_DIR'];
  return {
    modelsDir: resolve(modelsDir ?? join(dataDir, 'models')),
    modelsDirIsDefault: modelsDir === undefined,
    dataDir,
    scoreRoots: (overrides.scoreRoots ?? (fromEnv.length > 0 ? fromEnv : [resolve(dataDir, 'inputs')])).map((p) =>
      resolve(p),
    ),
    redisUrl: overrides.redisUrl ?? (process.env['KWS_REDIS_URL'] || null),
  };
}
export { makeDirs } from './make-dirs.js';
export { disableOnnxRuntimeTelemetry } from './onnxruntime-env.js';
export { spawnWorker, workerEntry } from './workers.js';
export type { WorkerEntry, WorkerName } from './workers.js';
