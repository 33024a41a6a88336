import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import type { Split } from '../data/index.js';
import { LABELS } from '../labels/index.js';
import { reportError } from './report-error.js';
import { integerIn, numberIn } from './options.js';
import { PROCESS_OUTPUT } from './output.js';
import type { CliOutput } from './output.js';

interface DatasetCliOptions {
  json?: boolean;
  silencePercentage: number;
  unknownPercentage: number;
  validationPercentage: number;
  testingPercentage: number;
  seed: number;
}

/** `kws dataset DIR [--json]`: examples per split and class, as training will see them. */
export function datasetCommand(output: CliOutput = PROCESS_OUTPUT): Command {
  return new Command('dataset')
    .description(
      'list a Speech Commands dataset: examples per split and class (commands, sampled unknown words, silence)',
    )
    .argument(
      '<dir>',
      'dataset folder (<word>/*.wav, _background_noise_/, optional validation_list.txt and testing_list.txt)',
    )
    .option('--json', 'print one JSON object')
    .option('--silence-percentage <p>', 'silence examples per split, % of its command examples', numberIn(0, 100), 10)
    .option(
      '--unknown-percentage <p>',
      'unknown-word examples per split, % of its command examples',
      numberIn(0, 100),
      10,
    )
    .option(
      '--validation-percentage <p>',
      'validation share by speaker hash when there is no list file',
      numberIn(0, 100),
      10,
    )
    .option(
      '--testing-percentage <p>',
      'testing share by speaker hash when there is no list file',
      numberIn(0, 100),
      10,
    )
    .option('--seed <s>', 'seed of the unknown-word sample', integerIn(-(2 ** 31), 2 ** 31 - 1), 59185)
    .action(async function (this: Command, dir: string, options: DatasetCliOptions) {
      if (options.validationPercentage + options.testingPercentage > 100) {
        this.error(
          `error: --validation-percentage + --testing-percentage must be at most 100, got ${options.validationPercentage + options.testingPercentage}`,
          { exitCode: 2 },
        );
      }
      try {
        // The reader (and its audio decoders) loads only when a dataset is listed.
        const { countByLabel, listTestClips, scanSpeechCommands, SPLITS } = await import('../data/index.js');
        const root = resolve(dir);
        const { validationPercentage, testingPercentage, silencePercentage, unknownPercentage, seed } = options;
        const dataset = await scanSpeechCommands(root, {
          validationPercentage,
          testingPercentage,
          silencePercentage,
          unknownPercentage,
          seed,
        });
        const splits = countByLabel(dataset);
        let testClips = 0;
        if (existsSync(resolve(root, 'test')))
          for await (const clip of listTestClips(resolve(root, 'test'))) if (clip.fname !== '') testClips++;
        const speakers = Object.fromEntries(
          SPLITS.map((s) => [
            s,
            new Set(dataset.examples[s].flatMap((e) => (e.kind === 'word' && e.speaker !== null ? [e.speaker] : [])))
              .size,
          ]),
        );
        const summary = {
          root,
          splitSource: dataset.splitSource,
          splits,
          speakers,
          backgroundNoise: dataset.backgroundNoise.length,
          testClips,
        };
        output.writeOut(options.json === true ? `${JSON.stringify(summary)}\n` : formatTable(summary, SPLITS));
      } catch (error) {
        reportError('dataset', error, output);
      }
    });
}

function formatTable(
  summary: {
    root: string;
    splitSource: string;
    splits: Record<string, Record<string, number>>;
    speakers: Record<string, number>;
    backgroundNoise: number;
    testClips: number;
  },
  splits: readonly Split[],
): string {
  const width = Math.max(...LABELS.map((l) => l.length), 8);
  const header = ['label'.padEnd(width), ...splits.map((s) => s.padStart(11))].join(' ');
  const rows = LABELS.map((label) =>
    [label.padEnd(width), ...splits.map((s) => String(summary.splits[s]?.[label] ?? 0).padStart(11))].join(' '),
  );
  const totals = [
    'total'.padEnd(width),
    ...splits.map((s) => String(Object.values(summary.splits[s] ?? {}).reduce((a, b) => a + b, 0)).padStart(11)),
  ].join(' ');
  const speakers = ['speakers'.padEnd(width), ...splits.map((s) => String(summary.speakers[s] ?? 0).padStart(11))].join(
    ' ',
  );
  return [
    `${summary.root} (splits from ${summary.splitSource === 'lists' ? 'validation_list.txt / testing_list.txt' : summary.splitSource === 'test-set' ? 'the test-set layout: every clip is testing' : 'the speaker hash'})`,
    header,
    ...rows,
    totals,
    speakers,
    `background-noise files: ${summary.backgroundNoise}; Kaggle-layout test clips: ${summary.testClips}`,
    '',
  ].join('\n');
}
