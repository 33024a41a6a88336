import { Command, Option } from 'commander';
import { MAX_ENERGY_THRESHOLD, UNKNOWN_SCORES, validateThresholds } from '../inference/index.js';
import type { UnknownScore } from '../inference/index.js';
import type { ModelRegistry } from '../registry/index.js';
import { openRegistry, withRegistryOptions } from './registry-options.js';
import type { RegistryCliOptions } from './registry-options.js';
import { numberIn } from './options.js';
import { reportError } from './report-error.js';
import { PROCESS_OUTPUT } from './output.js';
import type { CliOutput } from './output.js';

/**
 * `kws classify FILE... [--model V] [--json] [--unknown-score S] [--unknown-threshold P]
 * [--unknown-energy-threshold E] [--no-non-speech-rule] [--tta | --no-tta]`: label, confidence and
 * all 12 probabilities per file.
 */
export function classifyCommand(output: CliOutput = PROCESS_OUTPUT): Command {
  return withRegistryOptions(
    new Command('classify')
      .description('classify audio files with a model version (default production)')
      .argument('<files...>', 'audio files')
      .option('--model <version>', 'version number or alias')
      .option('--json', 'one JSON object per file')
      .addOption(
        new Option(
          '--unknown-score <score>',
          "which score decides unknown (default: the version's calibrated choice)",
        ).choices([...UNKNOWN_SCORES]),
      )
      .option('--unknown-threshold <p>', 'max-softmax probability below which a clip is unknown', numberIn(0, 1))
      .option(
        '--unknown-energy-threshold <e>',
        'energy score above which a clip is unknown (with --unknown-score energy)',
        numberIn(-MAX_ENERGY_THRESHOLD, MAX_ENERGY_THRESHOLD),
      )
      .option(
        '--no-non-speech-rule',
        'answer a tone the model hears as a command with that command (default: the non-speech rule answers it unknown)',
      )
      .option('--tta', "test-time augmentation: average the clip, ±100 ms shifts and +6 dB (as the server's tta)")
      .option(
        '--no-tta',
        "no test-time augmentation, even for a version calibrated with it (default: the version's own)",
      ),
  ).action(
    async (
      files: string[],
      options: RegistryCliOptions & {
        model?: string;
        json?: boolean;
        unknownScore?: UnknownScore;
        unknownThreshold?: number;
        unknownEnergyThreshold?: number;
        nonSpeechRule?: boolean;
        tta?: boolean;
      },
    ) => {
      let registry: ModelRegistry | undefined;
      try {
        registry = openRegistry(options);
        // TF.js and the audio front end load only when files are classified.
        const [{ classifyFiles }, { loadVersion }, { DEFAULT_TTA }] = await Promise.all([
          import('../serving/index.js'),
          import('../training/tfjs/index.js'),
          import('../engine/index.js'),
        ]);
        const loaded = await loadVersion(registry, options.model);
        try {
          const thresholds = validateThresholds({
            ...loaded.thresholds,
            ...(options.unknownScore === undefined ? {} : { unknownScore: options.unknownScore }),
            ...(options.unknownThreshold === undefined ? {} : { unknownThreshold: options.unknownThreshold }),
            ...(options.unknownEnergyThreshold === undefined
              ? {}
              : { unknownEnergyThreshold: options.unknownEnergyThreshold }),
            ...(options.nonSpeechRule === false ? { nonSpeechRule: false } : {}),
          });
          const tta = options.tta === true ? (loaded.tta ?? DEFAULT_TTA) : options.tta === false ? null : loaded.tta;
          const results = await classifyFiles(files, loaded, thresholds, tta);
          for (const r of results) {
            if (options.json === true) output.writeOut(`${JSON.stringify(r)}\n`);
            else if (!r.ok) output.writeOut(`${r.file}: error ${r.code}: ${r.message}\n`);
            else
              output.writeOut(
                `${r.file}: ${r.label} (${(r.confidence * 100).toFixed(1)} %${r.reason === 'MODEL' ? '' : `, ${r.reason}, model said ${r.rawLabel}`})\n`,
              );
          }
          process.exitCode = results.every((r) => r.ok) ? 0 : 1;
        } finally {
          await loaded.dispose();
        }
      } catch (error) {
        reportError('classify', error, output);
      } finally {
        registry?.close();
      }
    },
  );
}
