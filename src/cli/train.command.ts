import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import type { ModelRegistry } from '../registry/index.js';
import { trainOptionEntries, trainOptionsFromCliValues } from '../training/index.js';
import type { PseudoLabelReport } from '../training/tfjs/index.js';
import { reportError } from './report-error.js';
import { percent, PROCESS_OUTPUT } from './output.js';
import type { CliOutput } from './output.js';
import { declaredOption } from './options.js';
import { openRegistry, withRegistryOptions } from './registry-options.js';
import type { RegistryCliOptions } from './registry-options.js';

/** `kws train`'s parsed flags: the declared training options by flag name, and the command's own. */
interface TrainCliOptions extends RegistryCliOptions, Readonly<Record<string, unknown>> {
  data: string;
  progress: boolean;
  json?: boolean;
}

/** `kws train --data DIR [...]`: trains and registers model version N+1. */
export function trainCommand(output: CliOutput = PROCESS_OUTPUT): Command {
  const command = new Command('train').description(
    'train a model on a Speech Commands dataset and register it as a new model version',
  );
  // One flag per declared training option that the command line offers (TRAIN_OPTIONS).
  for (const [, declaration] of trainOptionEntries())
    if (declaration.cli !== null) command.addOption(declaredOption(declaration));
  return withRegistryOptions(
    command.option('--no-progress', 'no progress bar').option('--json', 'print the new version.json summary as JSON'),
  ).action(async (options: TrainCliOptions) => {
    let registry: ModelRegistry | undefined;
    const bar = new cliProgress.SingleBar(
      {
        format:
          '{phase} epoch {epoch}/{epochs} [{bar}] {value}/{total} loss {loss} acc {acc} val {val} ETA {eta_formatted}',
        stream: process.stderr,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    const showBar = options.progress && process.stderr.isTTY === true;
    let barKey = '';
    try {
      registry = openRegistry(options, { create: true });
      const { trainVersion } = await import('../training/tfjs/index.js');
      const trained = await trainVersion(registry, {
        ...trainOptionsFromCliValues(options),
        dataDir: resolve(options.data),
        onEpoch: (e, epochs) => {
          // Without a terminal (logs, CI), one line per epoch instead of a bar.
          if (!showBar && options.progress)
            output.writeErr(
              `epoch ${e.epoch}/${epochs}: loss ${e.loss.toFixed(4)}, accuracy ${e.accuracy.toFixed(4)}, validation accuracy ${e.valAccuracy.toFixed(4)} (${e.seconds.toFixed(1)} s)\n`,
            );
        },
        onProgress: (p) => {
          if (!showBar) return;
          const key = `${p.phase}/${p.epoch}`;
          if (key !== barKey) {
            if (barKey !== '') bar.stop();
            barKey = key;
            bar.start(Math.max(1, p.steps), 0, {});
          }
          bar.update(p.step, {
            phase: p.phase,
            epoch: p.epoch,
            epochs: p.epochs,
            loss: p.loss === null ? '-' : p.loss.toFixed(3),
            acc: p.accuracy === null ? '-' : p.accuracy.toFixed(3),
            val: p.valAccuracy === null ? '-' : p.valAccuracy.toFixed(3),
            eta: Math.round(p.etaSeconds),
          });
        },
      });
      if (showBar) bar.stop();
      const { manifest } = trained;
      const recorded = manifest.training.options;
      const distillation =
        typeof recorded['distillFrom'] === 'number'
          ? { distillFrom: recorded['distillFrom'], distillWeight: recorded['distillWeight'] as number }
          : null;
      const threads = typeof recorded['threads'] === 'number' ? recorded['threads'] : 1;
      const pseudoLabels = (recorded['pseudoLabels'] ?? null) as PseudoLabelReport | null;
      if (options.json === true) {
        output.writeOut(
          `${JSON.stringify({ version: manifest.version, architecture: manifest.architecture, backend: trained.backend, threads, bestEpoch: manifest.training.bestEpoch, validationAccuracy: manifest.metrics.validation.accuracy, testingAccuracy: manifest.metrics.testing?.accuracy ?? null, thresholds: manifest.thresholds, distillation, pseudoLabels, words: manifest.words?.vocabulary ?? null, dir: trained.record.dir })}\n`,
        );
      } else {
        output.writeOut(
          `backend: ${trained.backend}${threads > 1 ? `, ${threads} training threads (data-parallel)` : ''}\n` +
            `model version ${manifest.version} (${manifest.architecture}) ready in ${trained.record.dir}\n` +
            (distillation === null
              ? ''
              : `distilled from version ${distillation.distillFrom} at weight ${distillation.distillWeight}\n`) +
            (pseudoLabels === null ? '' : `${describePseudoLabels(pseudoLabels)}\n`) +
            (manifest.words === undefined
              ? ''
              : `a model of ${manifest.words.vocabulary.length} words, served as the 12 labels (the words that are not commands summed into unknown)\n`) +
            `best epoch ${manifest.training.bestEpoch} of ${manifest.training.history.length}: validation accuracy ${percent(manifest.metrics.validation.accuracy)}` +
            (manifest.metrics.testing === null
              ? ''
              : `, testing accuracy ${percent(manifest.metrics.testing.accuracy)} with thresholds`) +
            `\nthresholds: ${manifest.thresholds.unknownThreshold > 0 ? `unknown below a max-softmax of ${manifest.thresholds.unknownThreshold}` : 'no unknown threshold'}, ${manifest.thresholds.silenceThresholdDbfs === null ? 'no silence floor' : `silence below ${manifest.thresholds.silenceThresholdDbfs} dBFS`}\n`,
        );
      }
    } catch (error) {
      if (showBar) bar.stop();
      reportError('train', error, output);
    } finally {
      registry?.close();
    }
  });
}

/** One line on what pseudo-labelling added, e.g. `pseudo-labels from version 2 (p >= 0.95): 130 of 1800 clips added (yes 12, ...)`. */
function describePseudoLabels(report: PseudoLabelReport): string {
  const total = Object.values(report.added).reduce((a, n) => a + n, 0);
  const perClass = Object.entries(report.added)
    .filter(([, n]) => n > 0)
    .map(
      ([label, n]) => `${label} ${n}${n < report.confident[label as keyof typeof report.confident] ? ' (capped)' : ''}`,
    )
    .join(', ');
  return (
    `pseudo-labels from version ${report.from} (max-softmax >= ${report.confidence}): ${total} of ${report.candidates} clips added` +
    (perClass === '' ? '' : ` (${perClass})`) +
    (report.failed > 0 ? `, ${report.failed} did not decode` : '')
  );
}
