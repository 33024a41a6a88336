import type { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { ModelRegistry } from '../registry/index.js';

/** Options every command that uses the model repository takes. */
export interface RegistryCliOptions {
  modelsDir?: string;
  dataDir?: string;
}

/** Adds `--models-dir` and `--data-dir` to a command. */
export function withRegistryOptions(command: Command): Command {
  return command
    .option(
      '--models-dir <dir>',
      'model repository (default: <data dir>/models, or KWS_MODELS_DIR; the bundled models/ is readable from every one)',
    )
    .option('--data-dir <dir>', 'state folder holding kws.db (default: ./var, or KWS_DATA_DIR)');
}

/**
 * Opens the registry named by the options and the environment. The default repository
 * (`<data dir>/models`) is created when missing, and so is any for a command that writes versions
 * (`kws train`); a repository named by `--models-dir` or `KWS_MODELS_DIR` that does not exist is
 * reported (a typo should not start an empty repository).
 */
export function openRegistry(
  options: RegistryCliOptions,
  { create = false }: { create?: boolean } = {},
): ModelRegistry {
  const config = loadConfig({
    ...(options.modelsDir === undefined ? {} : { modelsDir: options.modelsDir }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
  });
  return ModelRegistry.open(config.modelsDir, { createModelsDir: create || config.modelsDirIsDefault });
}

/** A version as summary lines name it: `version 3`, or `version 1 (production)` with its aliases. */
export function versionName(registry: ModelRegistry, version: number): string {
  const aliases = Object.entries(registry.aliases())
    .filter(([, v]) => v === version)
    .map(([alias]) => alias);
  return `version ${version}${aliases.length === 0 ? '' : ` (${aliases.join(', ')})`}`;
}
