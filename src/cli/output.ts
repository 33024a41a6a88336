/**
 * Where `kws` writes: commander's messages (usage errors, help, version) and each command's results
 * and errors. The process's stdout and stderr unless a caller passes its own (the in-process CLI tests
 * capture both through `runProgram`).
 */
export interface CliOutput {
  /** Writes to standard output (results, help, version). */
  readonly writeOut: (text: string) => void;
  /** Writes to standard error (usage errors, `kws <command>: CODE: message`). */
  readonly writeErr: (text: string) => void;
}

/** The process's own stdout and stderr. */
export const PROCESS_OUTPUT: CliOutput = {
  writeOut: (text) => {
    process.stdout.write(text);
  },
  writeErr: (text) => {
    process.stderr.write(text);
  },
};

/** A share as a percentage with one decimal: `0.9234` -> `92.3 %`. */
export const percent = (x: number): string => `${(x * 100).toFixed(1)} %`;
