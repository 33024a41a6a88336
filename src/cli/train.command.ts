import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { resolveAugmentConfig } from '../data/index.js';
import type { AugmentConfig } from '../data/index.js';
import type { TfjsBackendName } from '../engine/index.js';
import { trainVersion } from '../training/tfjs/index.js';
import { ARCHITECTURES } from '../model/index.js';
import type { ModelRegistry } from '../registry/index.js';
import type { Architecture } from '../model/index.js';
import { reportError } from './report-error.js';
import { integerIn, numberIn } from './options.js';
import { openRegistry, withRegistryOptions } from './registry-options.js';
import type { RegistryCliOptions } from './registry-options.js';

interface TrainCliOptions extends RegistryCliOptions {
  data: string;
  arch: Architecture;
  epochs: number;
  batchSize: number;
  lr: number;
  balanced?: boolean;
  allowMissingClasses?: boolean;
  baseVersion?: number;
  patience: number;
  seed: number;
  augment?: Partial<AugmentConfig>;
  backend: TfjsBackendName;
  progress: boolean;
  json?: boolean;
}

function augmentJson(value: string): Partial<AugmentConfig> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError(`expected a JSON object of AugmentConfig fields, e.g. '{"noiseProbability":0.5}', got ${value}`);
  }
  try {
    resolveAugmentConfig(parsed as Partial<AugmentConfig>);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
  return parsed as Partial<AugmentConfig>;
}

const percent = (x: number): string => `${(x * 100).toFixed(1)} %`;

/** `kws train --data DIR [...]`: trains and registers model version N+1. */
export function trainCommand(): Command {
  return withRegistryOptions(
    new Command('train')
      .description('train a model on a Speech Commands dataset and register it as a new model version')
      .requiredOption('--data <dir>', 'Speech Commands dataset folder (see kws dataset)')
      .addOption(new Option('--arch <name>', 'architecture').choices([...ARCHITECTURES]).default('tc-resnet8'))
      .option('--epochs <n>', 'most epochs (early stopping may end sooner)', integerIn(1, 10_000), 30)
      .option('--batch-size <n>', 'clips per step', integerIn(1, 4096), 64)
      .option('--lr <x>', 'Adam learning rate', numberIn(1e-7, 0.999), 1e-3)
      .option('--balanced', 'class-balanced sampling')
      .option('--allow-missing-classes', 'train even when the training split lacks some of the 12 classes')
      .option('--base-version <v>', "start from this ready version's weights (its architecture and features; --arch is ignored)", integerIn(1, 2 ** 31 - 1))
      .option('--patience <n>', 'epochs without a better validation accuracy before stopping', integerIn(1, 10_000), 5)
      .option('--seed <s>', 'random seed', integerIn(-(2 ** 31), 2 ** 31 - 1), 1)
      .option('--augment <json>', 'AugmentConfig fields as JSON, e.g. {"noiseProbability":0.5}', augmentJson)
      .addOption(new Option('--backend <name>', 'first TF.js backend to try').choices(['tensorflow', 'wasm', 'cpu']).default('tensorflow'))
      .option('--no-progress', 'no progress bar')
      .option('--json', 'print the new version.json summary as JSON'),
  ).action(async (options: TrainCliOptions) => {
    let registry: ModelRegistry | undefined;
    const bar = new cliProgress.SingleBar({ format: '{phase} epoch {epoch}/{epochs} [{bar}] {value}/{total} loss {loss} acc {acc} val {val} ETA {eta_formatted}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
    const showBar = options.progress && process.stderr.isTTY === true;
    let barKey = '';
    try {
      registry = openRegistry(options, { create: true });
      const trained = await trainVersion(registry, {
        dataDir: resolve(options.data),
        architecture: options.arch,
        epochs: options.epochs,
        batchSize: options.batchSize,
        learningRate: options.lr,
        balanced: options.balanced === true,
        allowMissingClasses: options.allowMissingClasses === true,
        ...(options.baseVersion === undefined ? {} : { baseVersion: options.baseVersion }),
        patience: options.patience,
        seed: options.seed,
        backend: options.backend,
        ...(options.augment === undefined ? {} : { augment: options.augment }),
        onEpoch: (e, epochs) => {
          // Without a terminal (logs, CI), one line per epoch instead of a bar.
          if (!showBar && options.progress) process.stderr.write(`epoch ${e.epoch}/${epochs}: loss ${e.loss.toFixed(4)}, accuracy ${e.accuracy.toFixed(4)}, validation accuracy ${e.valAccuracy.toFixed(4)} (${e.seconds.toFixed(1)} s)\n`);
        },
        onProgress: (p) => {
          if (!showBar) return;
          const key = `${p.phase}/${p.epoch}`;
          if (key !== barKey) {
            if (barKey !== '') bar.stop();
            barKey = key;
            bar.start(Math.max(1, p.steps), 0, {});
          }
          bar.update(p.step, { phase: p.phase, epoch: p.epoch, epochs: p.epochs, loss: p.loss === null ? '-' : p.loss.toFixed(3), acc: p.accuracy === null ? '-' : p.accuracy.toFixed(3), val: p.valAccuracy === null ? '-' : p.valAccuracy.toFixed(3), eta: Math.round(p.etaSeconds) });
        },
      });
      if (showBar) bar.stop();
      const { manifest } = trained;
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify({ version: manifest.version, architecture: manifest.architecture, backend: trained.backend, bestEpoch: manifest.training.bestEpoch, validationAccuracy: manifest.metrics.validation.accuracy, testingAccuracy: manifest.metrics.testing?.accuracy ?? null, thresholds: manifest.thresholds, dir: trained.record.dir })}\n`);
      } else {
        process.stdout.write(
          `backend: ${trained.backend}\n` +
            `model version ${manifest.version} (${manifest.architecture}) ready in ${trained.record.dir}\n` +
            `best epoch ${manifest.training.bestEpoch} of ${manifest.training.history.length}: validation accuracy ${percent(manifest.metrics.validation.accuracy)}` +
            (manifest.metrics.testing === null ? '' : `, testing accuracy ${percent(manifest.metrics.testing.accuracy)} with thresholds`) +
            `\nthresholds: ${manifest.thresholds.unknownThreshold > 0 ? `unknown below a max-softmax of ${manifest.thresholds.unknownThreshold}` : 'no unknown threshold'}, ${manifest.thresholds.silenceThresholdDbfs === null ? 'no silence floor' : `silence below ${manifest.thresholds.silenceThresholdDbfs} dBFS`}\n`,
        );
      }
    } catch (error) {
      if (showBar) bar.stop();
      reportError('train', error);
    } finally {
      registry?.close();
    }
  });
}
