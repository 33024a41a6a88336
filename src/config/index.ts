import { delimiter, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where kws-serve keeps things. The only module that reads `process.env`. */
export interface KwsConfig {
  /** The model repository: one folder per model version. `KWS_MODELS_DIR`, default `<project>/models`. */
  readonly modelsDir: string;
  /** Mutable state: the SQLite database, uploads, job outputs. `KWS_DATA_DIR`, default `./var`. */
  readonly dataDir: string;
  /**
   * Folders the server may bulk-score (GraphQL `scoreTestSet`); anything outside is refused.
   * `KWS_SCORE_ROOTS` (separated by the platform's path delimiter, `:` on Linux), default `<dataDir>/inputs`.
   */
  readonly scoreRoots: readonly string[];
}

/** The project root (one level above `src/` or `dist/`). */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/**
 * The configuration from the environment, with defaults: the bundled `models/` folder and `./var`.
 * Explicit `overrides` (from command-line options) win over the environment.
 */
export function loadConfig(overrides: Partial<KwsConfig> = {}): KwsConfig {
  const dataDir = resolve(overrides.dataDir ?? process.env['KWS_DATA_DIR'] ?? 'var');
  const fromEnv = (process.env['KWS_SCORE_ROOTS'] ?? '').split(delimiter).filter((p) => p !== '');
  return {
    modelsDir: resolve(overrides.modelsDir ?? process.env['KWS_MODELS_DIR'] ?? resolve(PROJECT_ROOT, 'models')),
    dataDir,
    scoreRoots: (overrides.scoreRoots ?? (fromEnv.length > 0 ? fromEnv : [resolve(dataDir, 'inputs')])).map((p) => resolve(p)),
  };
}
export { makeDirs } from './make-dirs.js';
