import { isKwsError } from '../errors/index.js';
import { PROCESS_OUTPUT } from './output.js';
import type { CliOutput } from './output.js';

/**
 * Prints a command's failure as `kws <command>: CODE: message` (to stderr unless `output` says
 * otherwise) and sets exit code 1. Unlike the HTTP edge, the CLI does not mask unexpected errors: the
 * operator running it needs the message.
 */
export function reportError(command: string, error: unknown, output: CliOutput = PROCESS_OUTPUT): void {
  const line = isKwsError(error)
    ? `${error.code}: ${error.message}`
    : `INTERNAL: ${error instanceof Error ? error.message : String(error)}`;
  output.writeErr(`kws ${command}: ${line}\n`);
  process.exitCode = 1;
}
