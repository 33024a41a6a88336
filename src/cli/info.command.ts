import { Command, InvalidArgumentError } from 'commander';
import { PROCESS_OUTPUT } from './output.js';
import type { CliOutput } from './output.js';

function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new InvalidArgumentError(`expected a positive number of ms, got "${value}"`);
  return parsed;
}

/** `kws info FILE... [--json] [--max-duration-ms N]`: exit code 0 when every file decoded, 1 otherwise. */
export function infoCommand(output: CliOutput = PROCESS_OUTPUT): Command {
  return new Command('info')
    .description(
      'decode audio files and print what was found: container, codec, rate, channels, duration, level, feature shape',
    )
    .argument('<files...>', 'audio files (WAV, FLAC, MP3, Ogg Vorbis/Opus, WebM Opus)')
    .option('--json', 'one JSON object per line')
    .option('--max-duration-ms <ms>', 'longest audio accepted, ms', positiveNumber, 10_000)
    .action(async (files: string[], options: { json?: boolean; maxDurationMs: number }) => {
      const [{ FeatureExtractor }, { formatInfoLine, inspectFile }] = await Promise.all([
        import('../features/index.js'),
        import('./inspect-file.js'),
      ]);
      const extractor = new FeatureExtractor();
      let failures = 0;
      for (const file of files) {
        const result = await inspectFile(file, extractor, options.maxDurationMs);
        if (!result.ok) failures++;
        output.writeOut(`${options.json === true ? JSON.stringify(result) : formatInfoLine(result)}\n`);
      }
      process.exitCode = failures === 0 ? 0 : 1;
    });
}
