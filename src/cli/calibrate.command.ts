import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { ModelRegistry } from '../registry/index.js';
import { reportError } from './report-error.js';
import { percent, PROCESS_OUTPUT } from './output.js';
import type { CliOutput } from './output.js';
import { openRegistry, withRegistryOptions } from './registry-options.js';
import type { RegistryCliOptions } from './registry-options.js';
import { numberIn } from './options.js';

/**
 * `kws calibrate --data DIR [--model V] [--unknown-target-recall P] [--json]`: recalibrates a version
 * on labelled clips (temperature and thresholds) into a new version with the same weights.
 */
export function calibrateCommand(output: CliOutput = PROCESS_OUTPUT): Command {
  return withRegistryOptions(
    new Command('calibrate')
      .description(
        'fit a version’s temperature and unknown/silence thresholds on labelled clips (audio/ + labels.csv, or a dataset testing split) and register the result as a new version with the same weights',
      )
      .requiredOption('--data <dir>', 'labelled clips to calibrate on (not the clips you then evaluate on)')
      .option('--model <version>', 'version number or alias (default production)')
      .addOption(
        new Option(
          '--unknown-target-recall <p>',
          'operating point of the unknown rule: the share of command clips kept answered with a command (default: thresholds maximise accuracy)',
        ).argParser(numberIn(0, 1, { minOpen: true })),
      )
      .option(
        '--tta',
        'the new version scores every clip with test-time augmentation (shifts -100, 100 ms; gains 6 dB), its thresholds calibrated on the averages',
      )
      .option('--json', 'print the new version summary as JSON'),
  ).action(
    async (
      options: RegistryCliOptions & {
        data: string;
        model?: string;
        unknownTargetRecall?: number;
        tta?: boolean;
        json?: boolean;
      },
    ) => {
      let registry: ModelRegistry | undefined;
      try {
        registry = openRegistry(options);
        // TF.js loads only when a version is calibrated.
        const [{ calibrateVersion }, { DEFAULT_TTA }] = await Promise.all([
          import('../training/tfjs/index.js'),
          import('../engine/index.js'),
        ]);
        const { manifest, record } = await calibrateVersion(registry, {
          dataDir: resolve(options.data),
          ...(options.model === undefined ? {} : { baseVersion: options.model }),
          ...(options.unknownTargetRecall === undefined ? {} : { unknownTargetRecall: options.unknownTargetRecall }),
          ...(options.tta === true ? { tta: DEFAULT_TTA } : {}),
        });
        const from = manifest.training.options['calibratedFrom'] as { version: number; clips: number };
        const summary = {
          version: manifest.version,
          calibratedFrom: from.version,
          clips: from.clips,
          temperature: manifest.calibration.temperature ?? 1,
          thresholds: manifest.thresholds,
          accuracy: manifest.calibration.accuracy,
          baselineAccuracy: manifest.calibration.baselineAccuracy,
          ece: manifest.metrics.validation.trust?.ece ?? null,
          tta: manifest.tta ?? null,
          dir: record.dir,
        };
        if (options.json === true) {
          output.writeOut(`${JSON.stringify(summary)}\n`);
          return;
        }
        const t = manifest.thresholds;
        output.writeOut(
          `model version ${summary.version}: version ${summary.calibratedFrom} calibrated on ${summary.clips} clips, in ${summary.dir}\n` +
            `temperature ${summary.temperature.toFixed(3)}; ${summary.ece === null ? '' : `ECE at it ${percent(summary.ece)}; `}accuracy with the thresholds ${percent(summary.accuracy)} (argmax ${percent(summary.baselineAccuracy)})\n` +
            `thresholds: ${t.unknownScore === 'energy' ? `unknown above an energy of ${t.unknownEnergyThreshold}` : t.unknownThreshold > 0 ? `unknown below a max-softmax of ${t.unknownThreshold}` : 'no unknown threshold'}, ${t.silenceThresholdDbfs === null ? 'no silence floor' : `silence below ${t.silenceThresholdDbfs} dBFS`}\n`,
        );
      } catch (error) {
        reportError('calibrate', error, output);
      } finally {
        registry?.close();
      }
    },
  );
}
