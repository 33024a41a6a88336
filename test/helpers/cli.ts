import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runProgram } from '../../src/cli/index.js';

const root = resolve(import.meta.dirname, '../..');

/** The version `kws --version` prints: package.json's. */
export const KWS_VERSION = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** What one run of `kws` left: its exit code and what it wrote. */
export interface KwsRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `kws ARGS...` in this process, through `runProgram` as `src/main.ts` does, with stdout and
 * stderr captured (commander's messages and the results and errors of the commands that write to
 * their `CliOutput`; `kws train` and `kws serve` still write to the process's streams). The exit code
 * is read from `process.exitCode`, which is put back afterwards so the test process keeps its own.
 */
export async function runKws(...args: string[]): Promise<KwsRun> {
  let stdout = '';
  let stderr = '';
  const previous = process.exitCode;
  process.exitCode = undefined;
  try {
    await runProgram(KWS_VERSION, ['node', 'kws', ...args], { writeOut: (text) => (stdout += text), writeErr: (text) => (stderr += text) });
    return { status: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    process.exitCode = previous;
  }
}

/**
 * Runs `kws ARGS...` as a child process from source (`node --import tsx src/main.ts`, as `npx kws`
 * runs the built copy), for tests whose contract is the process: its exit code, its stdout, nothing
 * else on stderr, that it exits at all.
 */
export function spawnKws(args: readonly string[], { timeoutMs = 120_000 }: { timeoutMs?: number } = {}): KwsRun {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Non-empty lines of a run's stdout. */
export function lines(run: KwsRun): string[] {
  return run.stdout.split('\n').filter((line) => line.length > 0);
}
