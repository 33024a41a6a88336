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

/** Milliseconds between two progress lines where there is no terminal for a bar. */
export const PROGRESS_LINE_INTERVAL_MS = 5000;

/**
 * Progress for a log (stderr not a terminal: CI, `docker logs`, a pipe), where a bar prints nothing:
 * returns a function that writes `line()` and a newline at most once per `intervalMs`, and always
 * when `final` is set, so a long run is never silent.
 *
 * @param write Where lines go (stderr).
 */
export function progressLines(
  write: (text: string) => void,
  intervalMs = PROGRESS_LINE_INTERVAL_MS,
  now: () => number = () => performance.now(),
): (line: () => string, final?: boolean) => void {
  let last = now();
  return (line, final = false) => {
    const t = now();
    if (!final && t - last < intervalMs) return;
    last = t;
    write(`${line()}\n`);
  };
}
