import { Command, CommanderError } from 'commander';
import { classifyCommand } from './classify.command.js';
import { datasetCommand } from './dataset.command.js';
import { infoCommand } from './info.command.js';
import { evalCommand, modelsCommand } from './models.command.js';
import { trainCommand } from './train.command.js';
import { synthCommand } from './synth.command.js';
import { serveCommand } from './serve.command.js';
import { scoreCommand } from './score.command.js';

/** Exit code of a usage error (unknown option, bad option value), distinct from 1 = "some input failed". */
export const USAGE_EXIT_CODE = 2;

/** The `kws` command-line program: one subcommand per job. */
export function buildProgram(version: string): Command {
  const program = new Command('kws')
    .description('kws-serve: keyword-spotting models for the Speech Commands 12-class task')
    .version(version)
    .showHelpAfterError();
  for (const command of [infoCommand(), synthCommand(), datasetCommand(), trainCommand(), evalCommand(), modelsCommand(), classifyCommand(), scoreCommand(), serveCommand()]) program.addCommand(command.showHelpAfterError().exitOverride());
  return program.exitOverride();
}

/**
 * Runs the program on `argv`. Help and version exit 0; usage errors exit {@link USAGE_EXIT_CODE}
 * after commander has printed its message; each command sets 0 or 1 itself.
 */
export async function runProgram(version: string, argv: readonly string[]): Promise<void> {
  try {
    await buildProgram(version).parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
      return;
    }
    throw error;
  }
}
