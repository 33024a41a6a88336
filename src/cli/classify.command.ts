import { Command } from 'commander';
import { classifyFiles, loadVersion } from '../jobs/index.js';
import type { ModelRegistry } from '../registry/index.js';
import { openRegistry, withRegistryOptions } from './registry-options.js';
import type { RegistryCliOptions } from './registry-options.js';
import { reportError } from './report-error.js';

/** `kws classify FILE... [--model V] [--json]`: label, confidence and all 12 probabilities per file. */
export function classifyCommand(): Command {
  return withRegistryOptions(
    new Command('classify')
      .description('classify audio files with a model version (default production)')
      .argument('<files...>', 'audio files')
      .option('--model <version>', 'version number or alias')
      .option('--json', 'one JSON object per file'),
  ).action(async (files: string[], options: RegistryCliOptions & { model?: string; json?: boolean }) => {
    let registry: ModelRegistry | undefined;
    try {
      registry = openRegistry(options);
      const loaded = await loadVersion(registry, options.model);
      try {
        const results = await classifyFiles(files, loaded);
        for (const r of results) {
          if (options.json === true) process.stdout.write(`${JSON.stringify(r)}\n`);
          else if (!r.ok) process.stdout.write(`${r.file}: error ${r.code}: ${r.message}\n`);
          else process.stdout.write(`${r.file}: ${r.label} (${(r.confidence * 100).toFixed(1)} %${r.reason === 'MODEL' ? '' : `, ${r.reason}, model said ${r.rawLabel}`})\n`);
        }
        process.exitCode = results.every((r) => r.ok) ? 0 : 1;
      } finally {
        loaded.model.dispose();
      }
    } catch (error) {
      reportError('classify', error);
    } finally {
      registry?.close();
    }
  });
}
