import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { ModelRegistry, VersionManifest } from '../registry/index.js';
import { reportError } from './report-error.js';
import { percent, PROCESS_OUTPUT } from './output.js';
import type { CliOutput } from './output.js';
import { openRegistry, withRegistryOptions } from './registry-options.js';
import type { RegistryCliOptions } from './registry-options.js';

/** `--members V,V[,...]`: version numbers or aliases (mandatory). */
export function membersOption(): Option {
  return new Option('--members <versions>', 'comma-separated version numbers or aliases, two or more')
    .makeOptionMandatory()
    .argParser((value: string) => value.split(',').map((v) => (/^\d+$/.test(v.trim()) ? Number(v) : v.trim())));
}

/** `--weights W,W[,...]`: one number per member; text that is not a number is a usage error naming it. */
export function weightsOption(example: string): Option {
  return new Option(
    '--weights <weights>',
    `comma-separated weight per member, normalised to sum 1 (default: equal; ${example})`,
  ).argParser((value: string) =>
    value.split(',').map((v) => {
      const weight = v.trim() === '' ? Number.NaN : Number(v);
      if (Number.isNaN(weight)) throw new InvalidArgumentError(`${JSON.stringify(v)} is not a number`);
      return weight;
    }),
  );
}

/** Help of `--data` for versions made from members. */
export const CALIBRATION_DATA_HELP =
  'Speech Commands dataset to calibrate (validation) and score (testing) on, or a folder with audio/ and labels.csv to calibrate on (default: the first member’s training data)';

/** `kws average --members V,V[,...] [--data DIR] [--json]`: a uniform model soup as a new version. */
export function averageCommand(output: CliOutput = PROCESS_OUTPUT): Command {
  return withRegistryOptions(
    new Command('average')
      .description(
        'average the weights of fine-tunes of one base version (a uniform model soup), calibrate the average and register it as a new version',
      )
      .addOption(membersOption())
      .addOption(weightsOption('e.g. 0.3,0.7 interpolates a base and its fine-tune, WiSE-FT'))
      .option('--data <dir>', CALIBRATION_DATA_HELP)
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
        const averagedFrom = manifest.training.options['averagedFrom'] as number[];
        const weights = (manifest.training.options['averageWeights'] as number[] | undefined) ?? null;
        reportMadeVersion(
          output,
          options.json === true,
          { manifest, record },
          { averagedFrom, weights },
          `the average of versions ${averagedFrom.join(', ')}` +
            (weights === null ? '' : ` (weights ${weights.map((w) => w.toFixed(3)).join(', ')})`),
        );
      } catch (error) {
        reportError('average', error, output);
      } finally {
        registry?.close();
      }
    },
  );
}

/**
 * Prints a version made from other versions (`kws average`, `kws ensemble create`): with `json`, one
 * object `{version, ...fields, validationAccuracy, testingAccuracy, temperature, thresholds, dir}`;
 * else "model version N: <what>, in <dir>" and its accuracies and temperature.
 */
export function reportMadeVersion(
  output: CliOutput,
  json: boolean,
  { manifest, record }: { readonly manifest: VersionManifest; readonly record: { readonly dir: string } },
  fields: Readonly<Record<string, unknown>>,
  what: string,
): void {
  const testingAccuracy = manifest.metrics.testing?.accuracy ?? null;
  const temperature = manifest.calibration.temperature ?? 1;
  if (json) {
    const summary = {
      version: manifest.version,
      ...fields,
      validationAccuracy: manifest.metrics.validation.accuracy,
      testingAccuracy,
      temperature,
      thresholds: manifest.thresholds,
      dir: record.dir,
    };
    output.writeOut(`${JSON.stringify(summary)}\n`);
    return;
  }
  output.writeOut(
    `model version ${manifest.version}: ${what}, in ${record.dir}\n` +
      `validation accuracy ${percent(manifest.metrics.validation.accuracy)}` +
      (testingAccuracy === null ? '' : `, testing accuracy ${percent(testingAccuracy)} with thresholds`) +
      `; temperature ${temperature.toFixed(3)}\n`,
  );
}
