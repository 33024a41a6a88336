import { Command } from 'commander';
import { datasetCommand } from './dataset.command.js';
import { infoCommand } from './info.command.js';
import { synthCommand } from './synth.command.js';

/** The `kws` command-line program: one subcommand per job. */
export function buildProgram(version: string): Command {
  return new Command('kws')
    .description('kws-serve: keyword-spotting models for the Speech Commands 12-class task')
    .version(version)
    .showHelpAfterError()
    .addCommand(infoCommand())
    .addCommand(synthCommand())
    .addCommand(datasetCommand());
}
