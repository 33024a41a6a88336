import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ENSEMBLE_COMBINES } from '../model/index.js';
import type { EnsembleCombine } from '../model/index.js';
import type { ModelRegistry } from '../registry/index.js';
import { CALIBRATION_DATA_HELP, membersOption, reportMadeVersion, weightsOption } from './average.command.js';
import { reportError } from './report-error.js';
import { PROCESS_OUTPUT } from './output.js';
import type { CliOutput } from './output.js';
import { openRegistry, withRegistryOptions } from './registry-options.js';
import type { RegistryCliOptions } from './registry-options.js';

/** `kws ensemble create --members V,V[,...] [--weights W,...] [--combine mean-logit|mean-prob] [--data DIR] [--json]`. */
export function ensembleCommand(output: CliOutput = PROCESS_OUTPUT): Command {
  const create = withRegistryOptions(
    new Command('create')
      .description(
        'register an ensemble of versions as a new version: every member runs on each clip and their outputs are combined; calibrated on a dataset like a trained version',
      )
      .addOption(membersOption())
      .addOption(weightsOption('unequal weights need --combine mean-logit'))
      .addOption(
        new Option(
          '--combine <rule>',
          'mean-logit: weighted mean of the members’ logits at their temperatures; mean-prob: mean of their probabilities',
        )
          .choices(ENSEMBLE_COMBINES)
          .default('mean-logit'),
      )
      .option('--data <dir>', CALIBRATION_DATA_HELP)
      .option('--json', 'print the new version summary as JSON'),
  ).action(
    async (
      options: RegistryCliOptions & {
        members: (number | string)[];
        weights?: number[];
        combine: EnsembleCombine;
        data?: string;
        json?: boolean;
      },
    ) => {
      let registry: ModelRegistry | undefined;
      try {
        registry = openRegistry(options);
        // TF.js loads only when an ensemble is made.
        const { createEnsemble } = await import('../training/tfjs/index.js');
        const { manifest, record } = await createEnsemble(registry, {
          members: options.members,
          combine: options.combine,
          ...(options.weights === undefined ? {} : { weights: options.weights }),
          ...(options.data === undefined ? {} : { dataDir: resolve(options.data) }),
        });
        const { members, weights, combine } = manifest.ensemble!;
        reportMadeVersion(
          output,
          options.json === true,
          { manifest, record },
          { members, weights, combine },
          `an ensemble (${combine}) of versions ${members.join(', ')} (weights ${weights.map((w) => w.toFixed(3)).join(', ')})`,
        );
      } catch (error) {
        reportError('ensemble create', error, output);
      } finally {
        registry?.close();
      }
    },
  );
  return new Command('ensemble').description('ensembles of model versions').addCommand(create);
}
