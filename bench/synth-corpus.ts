import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The project root. */
export const ROOT = resolve(import.meta.dirname, '..');

/**
 * Makes a corpus with `kws synth --out DIR ARGS...` (from sources, in a child process) unless `ready`
 * says the one in `dir` will do; an unready folder is removed first.
 *
 * @throws Error when kws synth fails.
 */
export function ensureSynthCorpus(dir: string, args: readonly string[], ready: boolean, what: string): void {
  if (ready) return;
  rmSync(dir, { recursive: true, force: true });
  console.log(`making ${what} in ${dir} (kws synth) ...`);
  const made = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/main.ts'), 'synth', '--out', dir, ...args],
    {
      stdio: 'inherit',
      cwd: ROOT,
    },
  );
  if (made.status !== 0) throw new Error('kws synth failed');
}
