import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runProgram } from '../../src/cli/index.js';

const root = resolve(import.meta.dirname, '../..');

/** The version `kws --version` prints: package.json's. */
export const KWS_VERSION = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
  .version;

/** What one run of `kws` left: its exit code and what it wrote. */
export interface KwsRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The in-process run in progress: runs queue behind it, since the exit code is process-wide. */
let inProcess: Promise<unknown> = Promise.resolve();

/**
 * Runs `kws ARGS...` in this process, through `runProgram` as `src/main.ts` does, with stdout and
 * stderr captured (commander's messages and the results and errors of the commands that write to
 * their `CliOutput`; `kws serve` still writes to the process's streams). The exit code
 * is read from `process.exitCode`, which is put back afterwards so the test process keeps its own;
 * so runs take turns, also when tests run concurrently.
 */
export function runKws(...args: string[]): Promise<KwsRun> {
  const run = inProcess.then(async () => {
    let stdout = '';
    let stderr = '';
    const previous = process.exitCode;
    process.exitCode = undefined;
    try {
      await runProgram(KWS_VERSION, ['node', 'kws', ...args], {
        writeOut: (text) => (stdout += text),
        writeErr: (text) => (stderr += text),
      });
      return { status: Number(process.exitCode ?? 0), stdout, stderr };
    } finally {
      process.exitCode = previous;
    }
  });
  inProcess = run.catch(() => undefined);
  return run;
}

const childArgs = (args: readonly string[]): string[] => ['--import', 'tsx', join(root, 'src/main.ts'), ...args];

/**
 * Runs `kws ARGS...` as a child process from source (`node --import tsx src/main.ts`, as `npx kws`
 * runs the built copy), for tests whose contract is the process: its exit code, its stdout, nothing
 * else on stderr, that it exits at all.
 */
export function spawnKws(args: readonly string[], { timeoutMs = 120_000 }: { timeoutMs?: number } = {}): KwsRun {
  const result = spawnSync(process.execPath, childArgs(args), {
    cwd: root,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** {@link spawnKws} without blocking the event loop, for tests that run child processes side by side. A run killed at `timeoutMs` has status null; `env` is the child's environment (default this process's). */
export function spawnKwsAsync(
  args: readonly string[],
  { timeoutMs = 120_000, env = process.env }: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<KwsRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, childArgs(args), {
      cwd: root,
      env,
      timeout: timeoutMs,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }));
  });
}

/** Non-empty lines of a run's stdout. */
export function lines(run: KwsRun): string[] {
  return run.stdout.split('\n').filter((line) => line.length > 0);
}
