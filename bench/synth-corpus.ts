import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
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

/**
 * The synthetic Kaggle test set of `clips` clips under `.bench/score-<clips>` (made with `kws synth`
 * unless one of that size is there); returns its folder (the clips are in `<folder>/test/audio`).
 */
export function syntheticTestSet(clips: number): string {
  const set = join(ROOT, '.bench', `score-${clips}`);
  const audio = join(set, 'test', 'audio');
  ensureSynthCorpus(
    set,
    ['--per-word', '1', '--test-clips', String(clips), '--seed', '11'],
    existsSync(join(set, 'SYNTH.json')) && existsSync(audio) && readdirSync(audio).length === clips,
    `${clips} synthetic test clips`,
  );
  return set;
}
