import { isKwsError } from '../errors/index.js';

/**
 * Prints a command's failure as `kws <command>: CODE: message` and sets exit code 1. Unlike the HTTP
 * edge, the CLI does not mask unexpected errors: the operator running it needs the message.
 */
export function reportError(command: string, error: unknown): void {
  const line = isKwsError(error) ? `${error.code}: ${error.message}` : `INTERNAL: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`kws ${command}: ${line}\n`);
  process.exitCode = 1;
}
