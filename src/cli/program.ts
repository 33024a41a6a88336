import { Command, CommanderError } from 'commander';
import { averageCommand } from './average.command.js';
import { ensembleCommand } from './ensemble.command.js';
import { importCommand } from './import.command.js';
import { calibrateCommand } from './calibrate.command.js';
import { classifyCommand } from './classify.command.js';
import { datasetCommand } from './dataset.command.js';
import { infoCommand } from './info.command.js';
import { evalCommand, modelsCommand } from './models.command.js';
import { PROCESS_OUTPUT } from './output.js';
import type { CliOutput } from './output.js';
import { trainCommand } from './train.command.js';
import { synthCommand } from './synth.command.js';
import { oodSetCommand } from './ood-set.command.js';
import { keysCommand } from './keys.command.js';
import { serveCommand } from './serve.command.js';
import { scoreCommand } from './score.command.js';
import { workerCommand } from './worker.command.js';

/** Exit code of a usage error (unknown option, bad option value), distinct from 1 = "some input failed". */
export const USAGE_EXIT_CODE = 2;

/**
 * The `kws` command-line program: one subcommand per job. Building it is cheap: each command defines
 * its options here and imports its body (TF.js, onnxruntime, the server, the synthesizer) only when it
 * runs. Commander's messages, and the results and errors of the commands that take `output`, go to
 * `output`.
 */
export function buildProgram(version: string, output: CliOutput = PROCESS_OUTPUT): Command {
  const streams = { writeOut: output.writeOut, writeErr: output.writeErr };
  const program = new Command('kws')
    .description('kws-serve: keyword-spotting models for the Speech Commands 12-class task')
    .version(version)
    .configureOutput(streams)
    .showHelpAfterError();
  const commands = [
    infoCommand(output),
    synthCommand(output),
    oodSetCommand(output),
    datasetCommand(output),
    trainCommand(output),
    evalCommand(output),
    calibrateCommand(output),
    averageCommand(output),
    ensembleCommand(output),
    importCommand(output),
    modelsCommand(output),
    classifyCommand(output),
    scoreCommand(output),
    serveCommand(),
    workerCommand(),
    keysCommand(output),
  ];
  // Nested subcommands (kws keys create) too: addCommand does not pass settings down.
  const configure = (command: Command): Command => {
    command.configureOutput(streams).showHelpAfterError().exitOverride();
    for (const sub of command.commands) configure(sub);
    return command;
  };
  for (const command of commands) program.addCommand(configure(command));
  return program.exitOverride();
}

/**
 * Runs the program on `argv` (`[node, script, ...args]`, as `process.argv`). Help and version exit 0;
 * usage errors exit {@link USAGE_EXIT_CODE} after commander has printed its message; each command sets
 * 0 or 1 itself. The exit code is left in `process.exitCode`. `output` is where it writes (default the
 * process's stdout and stderr; tests pass buffers to run `kws` in-process).
 */
export async function runProgram(
  version: string,
  argv: readonly string[],
  output: CliOutput = PROCESS_OUTPUT,
): Promise<void> {
  try {
    await buildProgram(version, output).parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
      return;
    }
    throw error;
  }
}
