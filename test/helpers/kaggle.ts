import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { realDataDir, tempDir } from './signals.js';

/** Folder names of the v0.02 test set mapped to the 12 labels. */
const FOLDER_LABEL: Record<string, string> = { _silence_: 'silence', _unknown_: 'unknown' };

/**
 * A Kaggle-layout test folder in a temporary directory: `audio/clip_<hash>.wav` copied from the real
 * v0.02 test set (`perClass` clips of each of the 12 classes, names shuffled by a fixed hash), plus
 * `labels.csv` (`fname,label`). Extra files (corrupt, empty) can be added by the caller. The folder is
 * removed when the test process exits, if the caller has not removed it before.
 */
export function kaggleFolder(perClass: number): { dir: string; labels: Map<string, string> } {
  const dir = tempDir('kws-kaggle-');
  mkdirSync(join(dir, 'audio'));
  const pico = join(realDataDir(), 'pico-testset-v0.02');
  const labels = new Map<string, string>();
  let n = 0;
  for (const folder of readdirSync(pico, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()) {
    for (const file of readdirSync(join(pico, folder))
      .filter((f) => f.endsWith('.wav'))
      .sort()
      .slice(0, perClass)) {
      // A multiplicative hash spreads the classes over the sorted order.
      const fname = `clip_${((n++ * 2654435761) % 4294967296).toString(16).padStart(8, '0')}.wav`;
      copyFileSync(join(pico, folder, file), join(dir, 'audio', fname));
      labels.set(fname, FOLDER_LABEL[folder] ?? folder);
    }
  }
  writeFileSync(join(dir, 'labels.csv'), `fname,label\n${[...labels].map(([f, l]) => `${f},${l}`).join('\n')}\n`);
  return { dir, labels };
}
