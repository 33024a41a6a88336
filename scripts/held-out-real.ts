/**
 * Builds the held-out real-speech evaluation set of the bundled versions: the real Speech
 * Commands clips under ../shared/data/real whose speakers fall in the testing split of the recipe
 * (scripts/default-model-data.ts splits real clips by `whichSet('kws-default_' + file, 15, 15)`, one
 * split per speaker), as a Kaggle-layout folder (`audio/` links + `labels.csv`) for `kws eval`.
 * No speaker of this set was trained on or used for calibration.
 *
 *   npx tsx scripts/held-out-real.ts --out /tmp/kws-real-heldout
 *   npx kws eval --data /tmp/kws-real-heldout
 */
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { whichSet } from '../src/data/index.js';
import { labelForWord } from '../src/labels/index.js';

const USAGE = 'usage: npx tsx scripts/held-out-real.ts --out DIR [--real DIR] [--split testing|validation|training]';
/** Prints a usage error and exits 2, without a stack trace. */
function usage(message: string): never {
  process.stderr.write(`held-out-real: ${message}\n${USAGE}\n`);
  process.exit(2);
}
let parsed;
try {
  parsed = parseArgs({
    options: {
      out: { type: 'string' },
      real: { type: 'string', default: resolve(import.meta.dirname, '../../shared/data/real') },
      split: { type: 'string', default: 'testing' },
      help: { type: 'boolean', default: false },
    },
  });
} catch (error) {
  usage(error instanceof Error ? error.message : String(error));
}
const { values } = parsed;
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (values.out === undefined) usage('--out DIR is required');
if (!['testing', 'validation', 'training'].includes(values.split))
  usage(`--split must be testing, validation or training, got ${values.split}`);
if (!existsSync(join(values.real, 'pico-testset-v0.02')))
  usage(`${values.real} has no pico-testset-v0.02 folder (give the real recordings with --real)`);
const out = resolve(values.out);
if (existsSync(out) && readdirSync(out).length > 0) usage(`${out} is not empty; give a new folder`);
mkdirSync(join(out, 'audio'), { recursive: true });
const folders = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
const rows: string[] = ['fname,label'];
const counts: Record<string, number> = {};
/** Adds a clip under the name the recipe gave it (`folder/name`), when that name's speaker is in the split. */
function add(source: string, folder: string, name: string): void {
  if (whichSet(`${folder}/kws-default_${name}`, 15, 15) !== values.split) return;
  const label = folder === '_silence_' ? 'silence' : labelForWord(folder);
  const fname = `${folder}_${name}`;
  symlinkSync(source, join(out, 'audio', fname));
  rows.push(`${fname},${label}`);
  counts[label] = (counts[label] ?? 0) + 1;
}
const pico = join(values.real, 'pico-testset-v0.02');
for (const folder of folders(pico)) {
  for (const file of readdirSync(join(pico, folder)).filter((f) => f.endsWith('.wav'))) {
    if (folder === '_unknown_') {
      const [word, ...rest] = file.replace(/\.wav\.wav$/, '.wav').split('_');
      add(join(pico, folder, file), word as string, rest.join('_'));
    } else if (folder === '_silence_')
      add(join(pico, folder, file), '_silence_', `real${file.replace(/\.wav$/, '')}_nohash_0.wav`);
    else add(join(pico, folder, file), folder, file);
  }
}
for (const base of [join(values.real, 'vinsis-v0.01'), join(values.real, 'wids-tutorial/sc09')]) {
  for (const folder of folders(base))
    for (const file of readdirSync(join(base, folder)).filter((f) => f.endsWith('.wav')))
      add(join(base, folder, file), folder, file);
}
writeFileSync(join(out, 'labels.csv'), `${rows.join('\n')}\n`);
console.log(JSON.stringify({ out, split: values.split, clips: rows.length - 1, perLabel: counts }));
