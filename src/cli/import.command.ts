import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { FeatureConfig } from '../features/index.js';
import type { ModelRegistry } from '../registry/index.js';
import { reportMadeVersion } from './average.command.js';
import { reportError } from './report-error.js';
import { PROCESS_OUTPUT } from './output.js';
import type { CliOutput } from './output.js';
import { openRegistry, withRegistryOptions } from './registry-options.js';
import type { RegistryCliOptions } from './registry-options.js';

/** `--features`: a feature config as inline JSON (`{...}`) or the path of a JSON file. */
function parseFeatures(value: string): Partial<FeatureConfig> {
  let text = value;
  if (!value.trim().startsWith('{')) {
    try {
      text = readFileSync(value, 'utf8');
    } catch (error) {
      throw new InvalidArgumentError(`cannot read ${value}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(`expected a JSON object of FeatureConfig fields, got ${text.slice(0, 80)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new InvalidArgumentError(`expected a JSON object of FeatureConfig fields, got ${text.slice(0, 80)}`);
  return parsed as Partial<FeatureConfig>;
}

/** `--labels`: comma-separated labels, or `@FILE` with one label a line. */
function parseLabels(value: string): string[] {
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = readFileSync(value.slice(1), 'utf8').split(/\r?\n/).join(',');
    } catch (error) {
      throw new InvalidArgumentError(
        `cannot read ${value.slice(1)}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return text
    .split(',')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/**
 * `kws import MODEL.onnx --features JSON|FILE --data DIR [--labels L,L,...|@FILE] [--output logits|probabilities]
 * [--output-name NAME] [--json]`: registers a model trained elsewhere as a version.
 */
export function importCommand(output: CliOutput = PROCESS_OUTPUT): Command {
  return withRegistryOptions(
    new Command('import')
      .description(
        'check an ONNX model trained elsewhere (PyTorch, Keras...) and register it as a new version, calibrated on labelled clips',
      )
      .argument('<model>', 'the .onnx file')
      .requiredOption(
        '--features <json|file>',
        'the feature config its input was computed with: JSON, or a JSON file (e.g. {"type":"log-mel"}: 98 frames × 40 bins)',
        parseFeatures,
      )
      .requiredOption(
        '--data <dir>',
        'clips to calibrate on: a Speech Commands dataset (validation; testing is scored) or a folder with audio/ and labels.csv',
      )
      .option(
        '--labels <labels>',
        'the model’s output classes in its order, comma-separated or @FILE with one a line (default kws-serve’s order)',
        parseLabels,
      )
      .addOption(
        new Option('--output <kind>', 'what the output holds').choices(['logits', 'probabilities']).default('logits'),
      )
      .option('--output-name <name>', 'the class scores output, when the model has several outputs')
      .option('--json', 'print the new version summary as JSON'),
  ).action(
    async (
      file: string,
      options: RegistryCliOptions & {
        features: Partial<FeatureConfig>;
        data: string;
        labels?: string[];
        output: 'logits' | 'probabilities';
        outputName?: string;
        json?: boolean;
      },
    ) => {
      let registry: ModelRegistry | undefined;
      try {
        registry = openRegistry(options);
        // onnxruntime and the calibration load only when a model is imported.
        const { importVersion } = await import('../training/tfjs/index.js');
        const made = await importVersion(registry, {
          file: resolve(file),
          features: options.features,
          dataDir: resolve(options.data),
          output: options.output,
          ...(options.labels === undefined ? {} : { labels: options.labels }),
          ...(options.outputName === undefined ? {} : { outputName: options.outputName }),
        });
        const spec = made.manifest.imported!;
        reportMadeVersion(
          output,
          options.json === true,
          made,
          { imported: spec },
          `imported from ${spec.source} (input ${spec.inputName} [${spec.inputShape.map((d) => d ?? '?').join(', ')}], ` +
            `output ${spec.outputName}: ${spec.output}${made.manifest.imported!.modelLabels.join(',') === made.manifest.labels.join(',') ? '' : ', classes reordered'})`,
        );
      } catch (error) {
        reportError('import', error, output);
      } finally {
        registry?.close();
      }
    },
  );
}
