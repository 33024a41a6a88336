import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { ModelRegistry } from '../registry/index.js';
import { reportError } from './report-error.js';
import { percent, PROCESS_OUTPUT } from './output.js';
import type { CliOutput } from './output.js';
import { openRegistry, withRegistryOptions } from './registry-options.js';
import type { RegistryCliOptions } from './registry-options.js';

/** `kws average --members V,V[,...] [--data DIR] [--json]`: a uniform model soup as a new version. */
export function averageCommand(output: CliOutput = PROCESS_OUTPUT): Command {
  return withRegistryOptions(
    new Command('average')
      .description(
        'average the weights of fine-tunes of one base version (a uniform model soup), calibrate the average and register it as a new version',
      )
      .addOption(
        new Option('--members <versions>', 'comma-separated version numbers or aliases, two or more')
          .makeOptionMandatory()
          .argParser((value: string) => value.split(',').map((v) => (/^\d+$/.test(v.trim()) ? Number(v) : v.trim()))),
      )
      .addOption(
        new Option(
          '--weights <weights>',
          'comma-separated weight per member, normalised to sum 1 (default: equal; e.g. 0.3,0.7 interpolates a base and its fine-tune, WiSE-FT)',
        ).argParser((value: string) => value.split(',').map((v) => (v.trim() === '' ? Number.NaN : Number(v)))),
      )
      .option(
        '--data <dir>',
        'Speech Commands dataset to calibrate (validation) and score (testing) on (default: the first member’s training data)',
      )
      .option('--json', 'print the new version summary as JSON'),
  ).action(
    async (
      options: RegistryCliOptions & { members: (number | string)[]; weights?: number[]; data?: string; json?: boolean },
    ) => {
      let registry: ModelRegistry | undefined;
      try {
        registry = openRegistry(options);
        // TF.js loads only when versions are averaged.
        const { averageVersions } = await import('../training/tfjs/index.js');
        const { manifest, record } = await averageVersions(registry, {
          members: options.members,
          ...(options.weights === undefined ? {} : { weights: options.weights }),
          ...(options.data === undefined ? {} : { dataDir: resolve(options.data) }),
        });
        const summary = {
          version: manifest.version,
          averagedFrom: manifest.training.options['averagedFrom'],
          weights: manifest.training.options['averageWeights'] ?? null,
          validationAccuracy: manifest.metrics.validation.accuracy,
          testingAccuracy: manifest.metrics.testing?.accuracy ?? null,
          temperature: manifest.calibration.temperature ?? 1,
          thresholds: manifest.thresholds,
          dir: record.dir,
        };
        if (options.json === true) {
          output.writeOut(`${JSON.stringify(summary)}\n`);
          return;
        }
        output.writeOut(
          `model version ${summary.version}: the average of versions ${(summary.averagedFrom as number[]).join(', ')}` +
            (summary.weights === null
              ? ''
              : ` (weights ${(summary.weights as number[]).map((w) => w.toFixed(3)).join(', ')})`) +
            `, in ${summary.dir}\n` +
            `validation accuracy ${percent(summary.validationAccuracy)}` +
            (summary.testingAccuracy === null
              ? ''
              : `, testing accuracy ${percent(summary.testingAccuracy)} with thresholds`) +
            `; temperature ${summary.temperature.toFixed(3)}\n`,
        );
      } catch (error) {
        reportError('average', error, output);
      } finally {
        registry?.close();
      }
    },
  );
}
