import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import { reportError } from './report-error.js';
import { integerIn } from './options.js';
import { PROCESS_OUTPUT } from './output.js';
import type { CliOutput } from './output.js';

/** `../shared/data/real` beside the project, where real background-noise recordings may be found. */
export function defaultRealDataDir(): string | null {
  const dir = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../shared/data/real');
  return existsSync(dir) ? dir : null;
}

interface SynthCliOptions {
  out: string;
  perWord: number;
  testClips: number;
  seed: number;
  realNoise?: string;
  progress: boolean;
}

/** `kws synth --out DIR --per-word N [--test-clips M] [--seed S] [--real-noise DIR]`. */
export function synthCommand(output: CliOutput = PROCESS_OUTPUT): Command {
  return new Command('synth')
    .description(
      'write a synthetic Speech Commands corpus (eSpeak NG voices), optionally with a Kaggle-layout test set',
    )
    .requiredOption('--out <dir>', 'output folder (created; must be empty)')
    .requiredOption('--per-word <n>', 'clips per word, one per synthetic speaker', integerIn(1, 100_000))
    .option('--test-clips <m>', 'also write M Kaggle-layout test clips and test/labels.csv', integerIn(0, 1_000_000), 0)
    .option('--seed <s>', 'random seed; the same seed gives the same bytes', integerIn(-(2 ** 31), 2 ** 31 - 1), 1)
    .option(
      '--real-noise <dir>',
      'folder searched for real _background_noise_/*.wav to copy (default ../shared/data/real)',
    )
    .option('--no-progress', 'no progress bar')
    .action(async (options: SynthCliOptions) => {
      const bar = new cliProgress.SingleBar(
        {
          format: '{phase} [{bar}] {value}/{total} {speed} clips/s ETA {eta_formatted}',
          stream: process.stderr,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      const showBar = options.progress && process.stderr.isTTY === true;
      let phase = '';
      let phaseStart = performance.now();
      try {
        // The synthesizer (eSpeak NG in WebAssembly) loads only when a corpus is written.
        const { synthesizeCorpus } = await import('../synth/index.js');
        const report = await synthesizeCorpus({
          outDir: resolve(options.out),
          perWord: options.perWord,
          testClips: options.testClips,
          seed: options.seed,
          realNoiseDir: options.realNoise ?? defaultRealDataDir(),
          onProgress: (current, done, total) => {
            if (!showBar) return;
            if (current !== phase) {
              if (phase !== '') bar.stop();
              phase = current;
              phaseStart = performance.now();
              bar.start(total, 0, { phase: current.padEnd(9), speed: '0' });
            }
            bar.update(done, { speed: ((done * 1000) / (performance.now() - phaseStart)).toFixed(0) });
          },
        });
        if (showBar) bar.stop();
        output.writeOut(
          `wrote ${report.clips} clips (${report.words} words x ${report.speakers} speakers) and ${report.backgroundNoise.length} background-noise files to ${report.outDir} in ${report.corpusSeconds.toFixed(1)} s\n` +
            (report.testClips > 0
              ? `wrote ${report.testClips} test clips in ${report.testSeconds.toFixed(1)} s (${report.testClipsPerSecond.toFixed(0)} clips/s)\n`
              : ''),
        );
      } catch (error) {
        if (showBar) bar.stop();
        reportError('synth', error, output);
      }
    });
}
