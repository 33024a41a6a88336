import { join } from 'node:path';
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
    .option('--models-dir <dir>', 'model repository (default: the bundled models/, or KWS_MODELS_DIR)')
    .option('--data-dir <dir>', 'state folder holding kws.db (default: ./var, or KWS_DATA_DIR)');
}

/**
 * Opens the registry named by the options and the environment. Only a command that writes versions
 * (`kws train`) creates a missing model repository; the others report it.
 */
export function openRegistry(
  options: RegistryCliOptions,
  { create = false }: { create?: boolean } = {},
): ModelRegistry {
  const config = loadConfig({
    ...(options.modelsDir === undefined ? {} : { modelsDir: options.modelsDir }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
  });
  return ModelRegistry.open(config.modelsDir, join(config.dataDir, 'kws.db'), { createModelsDir: create });
}
