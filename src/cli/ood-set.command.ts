import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { PROJECT_ROOT } from '../config/index.js';
import { KwsError } from '../errors/index.js';
import { integerIn } from './options.js';
import { PROCESS_OUTPUT } from './output.js';
import type { CliOutput } from './output.js';
import { reportError } from './report-error.js';

/** The real Speech Commands background noise beside the project (`../shared/data/real/wids-tutorial/_background_noise_`). */
export function defaultOodNoiseDir(): string {
  return resolve(PROJECT_ROOT, '../shared/data/real/wids-tutorial/_background_noise_');
}

/**
 * Where Debian's libttspico-data puts SVOX Pico's lingware: the writer's default, repeated here for the
 * help text (test/synth/ood-set-command.test.ts checks that they agree).
 */
export const OOD_SET_PICO_LINGWARE_DIR = '/usr/share/pico/lang';

/**
 * The size flags: option key, flag, help, default. The defaults are the writer's (`writeOodSet`),
 * which this module cannot import before the command runs; test/synth/ood-set-command.test.ts checks
 * that they agree.
 */
export const OOD_SET_SIZE_FLAGS = [
  ['oovWords', '--oov-words <n>', 'held-out ordinary words said (of 397)', 300],
  ['oovVoicesPerWord', '--oov-voices <n>', 'voices per OOV word', 2],
  ['soundalikesPerCommand', '--soundalikes-per-command <n>', 'held-out sound-alikes per command (of 10)', 10],
  ['soundalikeVoicesPerWord', '--soundalike-voices <n>', 'voices per sound-alike', 3],
  ['nonSpeechPerKind', '--non-speech-per-kind <n>', 'clips per non-speech kind (13 kinds)', 20],
  ['realNoiseClips', '--real-noise-clips <n>', '1 s excerpts of real background noise', 100],
  ['heldOutVoices', '--held-out-voices <n>', 'voices in the held-out pool (half SVOX Pico)', 20],
  [
    'heldOutUnknownWords',
    '--held-out-unknown-words <n>',
    'auxiliary words said by every held-out voice besides the 10 commands',
    5,
  ],
] as const;

type SizeKey = (typeof OOD_SET_SIZE_FLAGS)[number][0];

/** The size flags as commander options, with the writer's option each one sets. */
function sizeOptions(): Array<readonly [SizeKey, Option]> {
  return OOD_SET_SIZE_FLAGS.map(
    ([key, flag, help, fallback]) =>
      [key, new Option(flag, help).argParser(integerIn(0, 100_000)).default(fallback)] as const,
  );
}

/** The parsed flags; the size flags are read by their attribute names (see {@link sizeOptions}). */
interface OodSetCliOptions {
  out: string;
  seed: number;
  realNoise: string | false;
  picoLingware: string;
  pico: boolean;
  json?: boolean;
  progress: boolean;
}

/**
 * `kws ood-set --out DIR [--seed N] [sizes] [--real-noise DIR | --no-real-noise] [--pico-lingware DIR | --no-pico] [--json]`:
 * writes the out-of-distribution evaluation set (see `writeOodSet`).
 */
export function oodSetCommand(output: CliOutput = PROCESS_OUTPUT): Command {
  let command = new Command('ood-set')
    .description(
      'write the out-of-distribution evaluation set: held-out words, sound-alikes, non-speech, real noise, held-out voices',
    )
    .requiredOption('--out <dir>', 'output folder (created; must be empty)')
    .option(
      '--seed <n>',
      'random seed; the same seed and inputs give the same bytes',
      integerIn(-(2 ** 31), 2 ** 31 - 1),
      1,
    );
  const sizeFlags = sizeOptions();
  for (const [, option] of sizeFlags) command = command.addOption(option);
  return command
    .option('--real-noise <dir>', 'folder of real background-noise *.wav, read and never copied', defaultOodNoiseDir())
    .option('--no-real-noise', 'no real-noise part')
    .option(
      '--pico-lingware <dir>',
      "folder of SVOX Pico's lingware (Debian's libttspico-data)",
      OOD_SET_PICO_LINGWARE_DIR,
    )
    .option('--no-pico', 'eSpeak NG voices only (no SVOX Pico lingware)')
    .option('--json', 'print the report as JSON')
    .option('--no-progress', 'no progress bar')
    .action(async (options: OodSetCliOptions) => {
      const bar = new cliProgress.SingleBar(
        { format: '{part} [{bar}] {value}/{total} ETA {eta_formatted}', stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      const showBar = options.progress && options.json !== true && process.stderr.isTTY === true;
      let part = '';
      try {
        // The synthesizers (eSpeak NG, SVOX Pico in WebAssembly) load only when a set is written.
        const { writeOodSet } = await import('../synth/index.js');
        const parsed = options as unknown as Readonly<Record<string, number>>;
        const sizes = Object.fromEntries(
          sizeFlags.map(([key, option]) => [key, parsed[option.attributeName()]]),
        ) as Record<SizeKey, number>;
        const report = await writeOodSet({
          ...sizes,
          outDir: resolve(options.out),
          seed: options.seed,
          realNoiseDir: options.realNoise === false ? null : resolve(options.realNoise),
          picoLingwareDir: options.pico ? resolve(options.picoLingware) : null,
          onProgress: (current, done, total) => {
            if (!showBar) return;
            if (current !== part) {
              if (part !== '') bar.stop();
              part = current;
              bar.start(total, 0, { part: current.padEnd(15) });
            }
            bar.update(done);
          },
        });
        if (showBar) bar.stop();
        const parts = Object.entries(report.parts)
          .map(([name, n]) => `${name} ${n}`)
          .join(', ');
        output.writeOut(
          options.json === true
            ? `${JSON.stringify(report)}\n`
            : `wrote ${report.clips} clips (${parts}) with ${report.voices} held-out voices (${report.picoVoices} SVOX Pico) to ${report.outDir} in ${report.seconds.toFixed(1)} s\n`,
        );
      } catch (error) {
        if (showBar) bar.stop();
        reportError('ood-set', withInputHint(error), output);
      }
    });
}

/** A missing input (Pico's lingware, the noise folder) gets the flags that name or skip it. */
function withInputHint(error: unknown): unknown {
  if (!(error instanceof KwsError) || error.code !== 'FILE_NOT_FOUND') return error;
  return new KwsError(
    'FILE_NOT_FOUND',
    `${error.message} (--pico-lingware DIR or --no-pico; --real-noise DIR or --no-real-noise)`,
    { cause: error },
  );
}
