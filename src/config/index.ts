import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where kws-serve keeps things. The only module that reads `process.env`. */
export interface KwsConfig {
  /** The model repository: one folder per model version. `KWS_MODELS_DIR`, default `<project>/models`. */
  readonly modelsDir: string;
  /** Mutable state: the SQLite database, uploads, job outputs. `KWS_DATA_DIR`, default `./var`. */
  readonly dataDir: string;
}

/** The project root (one level above `src/` or `dist/`). */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/**
 * The configuration from the environment, with defaults: the bundled `models/` folder and `./var`.
 * Explicit `overrides` (from command-line options) win over the environment.
 */
export function loadConfig(overrides: Partial<KwsConfig> = {}): KwsConfig {
  return {
    modelsDir: resolve(overrides.modelsDir ?? process.env['KWS_MODELS_DIR'] ?? resolve(PROJECT_ROOT, 'models')),
    dataDir: resolve(overrides.dataDir ?? process.env['KWS_DATA_DIR'] ?? 'var'),
  };
}
