import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { PROJECT_ROOT } from '../config/index.js';
import { reportError } from './report-error.js';
import { integerIn, numberIn } from './options.js';
import { PROCESS_OUTPUT, progressLines } from './output.js';
import type { CliOutput } from './output.js';
import type { NonSpeechKind, SynthReport } from '../synth/index.js';

/** `../shared/data/real` beside the project, where real background-noise recordings may be found. */
export function defaultRealDataDir(): string | null {
  // From the project root, so that the sources (src/cli) and the build (dist/src/cli) find the same folder.
  const dir = resolve(PROJECT_ROOT, '../shared/data/real');
  return existsSync(dir) ? dir : null;
}

/**
 * Words `--unknown-words` may draw: the size of the writer's `UNKNOWN_WORD_POOL`, which this module
 * cannot import before the command runs; test/synth/training-negatives.test.ts checks that they agree.
 */
export const SYNTH_UNKNOWN_WORD_POOL_SIZE = 2075;

/** Training sound-alikes the writer says (`TRAIN_SOUNDALIKES` in `UNKNOWN_WORD_POOL`), for the help text; checked by the same test. */
export const SYNTH_SOUNDALIKE_WORDS = 95;

/** Non-speech kinds (`NON_SPEECH_KINDS`), for the help text; checked by the same test. */
export const SYNTH_NON_SPEECH_KINDS = 13;

interface SynthCliOptions {
  out: string;
  perWord: number;
  testClips: number;
  seed: number;
  realNoise?: string;
  excludeHeldOutVoices: boolean;
  accentedVoices: number;
  unknownWords: number;
  soundalikeSpeakers: number;
  composedUnknowns: number;
  nonSpeech: number;
  nonSpeechSilence: string[];
  progress: boolean;
}

/** The flags that teach `unknown` (see `SynthOptions`), each with its unit in the shown default. */
function negativeOptions(): Option[] {
  return [
    new Option(
      '--exclude-held-out-voices',
      'draw speakers from the 73 eSpeak variants training may use, none of the 10 held out for evaluation',
    ).default(false),
    new Option(
      '--accented-voices <share>',
      'share of the speakers (0 to 1) given an eSpeak voice of another language reading the English words: accents',
    )
      .argParser(numberIn(0, 1))
      .default(0),
    new Option(
      '--unknown-words <n>',
      `words of the training vocabulary (of ${SYNTH_UNKNOWN_WORD_POOL_SIZE}) said by every speaker, each in its own folder (unknown)`,
    )
      .argParser(integerIn(0, SYNTH_UNKNOWN_WORD_POOL_SIZE))
      .default(0, '0 words'),
    new Option(
      '--soundalike-speakers <n>',
      `speakers (at most --per-word) saying each of the ${SYNTH_SOUNDALIKE_WORDS} training sound-alikes of the commands (best, blow, pop, ...), each in its own folder (unknown)`,
    )
      .argParser(integerIn(0, 100_000))
      .default(0, '0 speakers'),
    new Option(
      '--composed-unknowns <n>',
      'clips in _composed_/ (unknown): half a command joined to half another word, or a word reversed',
    )
      .argParser(integerIn(0, 1_000_000))
      .default(0, '0 clips'),
    new Option(
      '--non-speech <n>',
      `non-speech clips per kind (${SYNTH_NON_SPEECH_KINDS} kinds, training half) in _non_speech_/ (unknown)`,
    )
      .argParser(integerIn(0, 100_000))
      .default(0, '0 clips per kind'),
    new Option(
      '--non-speech-silence <kinds>',
      'comma-separated non-speech kinds written to _silence_/ (silence) instead, e.g. engine,noise-burst',
    )
      .argParser((value: string) => value.split(',').map((kind) => kind.trim()))
      .default([], 'none'),
  ];
}

/**
 * `kws synth --out DIR --per-word N [--test-clips M] [--seed S] [--real-noise DIR] [--exclude-held-out-voices]
 * [--unknown-words N] [--soundalike-speakers N] [--composed-unknowns N] [--non-speech N] [--non-speech-silence KINDS]`.
 */
export function synthCommand(output: CliOutput = PROCESS_OUTPUT): Command {
  const command = new Command('synth')
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
    );
  for (const option of negativeOptions()) command.addOption(option);
  return command.option('--no-progress', 'no progress bar').action(async function (
    this: Command,
    options: SynthCliOptions,
  ) {
    if (options.soundalikeSpeakers > options.perWord)
      this.error(
        `error: --soundalike-speakers (${options.soundalikeSpeakers}) must be at most --per-word (${options.perWord}): each sound-alike is said by that many of the corpus's speakers`,
        { exitCode: 2 },
      );
    await runSynth(options, output);
  });
}

/** What `kws synth` prints when the corpus is written. */
function summary(report: SynthReport): string {
  const negatives = [
    report.unknownWordClips > 0 ? `${report.unknownWordClips} clips of ${report.unknownWords} unknown words` : '',
    report.soundalikeClips > 0 ? `${report.soundalikeClips} clips of ${report.soundalikeWords} sound-alikes` : '',
    report.composedClips > 0 ? `${report.composedClips} composed unknowns` : '',
    report.nonSpeechClips > 0 ? `${report.nonSpeechClips} non-speech clips` : '',
  ].filter((part) => part !== '');
  return (
    `wrote ${report.clips} clips (${report.words} words x ${report.speakers} speakers) and ${report.backgroundNoise.length} background-noise files to ${report.outDir} in ${report.corpusSeconds.toFixed(1)} s\n` +
    (negatives.length > 0 ? `with ${negatives.join(', ')}\n` : '') +
    (report.testClips > 0
      ? `wrote ${report.testClips} test clips in ${report.testSeconds.toFixed(1)} s (${report.testClipsPerSecond.toFixed(0)} clips/s)\n`
      : '')
  );
}

async function runSynth(options: SynthCliOptions, output: CliOutput): Promise<void> {
  const bar = new cliProgress.SingleBar(
    {
      format: '{phase} [{bar}] {value}/{total} {speed} clips/s ETA {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const showBar = options.progress && process.stderr.isTTY === true;
  const logLine = progressLines((text) => process.stderr.write(text));
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
      excludeHeldOutVoices: options.excludeHeldOutVoices,
      accentedVoices: options.accentedVoices,
      unknownWords: options.unknownWords,
      soundalikeSpeakers: options.soundalikeSpeakers,
      composedUnknowns: options.composedUnknowns,
      nonSpeech: options.nonSpeech,
      nonSpeechSilence: options.nonSpeechSilence as NonSpeechKind[],
      onProgress: (current, done, total) => {
        if (!showBar) {
          if (options.progress) logLine(() => `${current}: ${done}/${total} clips`, done === total);
          return;
        }
        if (current !== phase) {
          if (phase !== '') bar.stop();
          phase = current;
          phaseStart = performance.now();
          bar.start(total, 0, { phase: current.padEnd(13), speed: '0' });
        }
        bar.update(done, { speed: ((done * 1000) / (performance.now() - phaseStart)).toFixed(0) });
      },
    });
    if (showBar) bar.stop();
    output.writeOut(summary(report));
  } catch (error) {
    if (showBar) bar.stop();
    reportError('synth', error, output);
  }
}
