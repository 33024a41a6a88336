/**
 * Assembles the training data of the bundled versions: a synthetic corpus (kws synth) plus
 * every real Speech Commands clip under ../shared/data/real, linked into one Speech Commands layout
 * with validation/testing lists by the speaker hash (so real speakers never straddle splits).
 *
 *   npx tsx scripts/default-model-data.ts --out /tmp/kws-default --per-word 200 --seed 1
 *   npx kws train --data /tmp/kws-default --arch tc-resnet8 --epochs 200 --patience 15
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { synthesizeCorpus } from '../src/synth/index.js';
import type { NonSpeechKind } from '../src/synth/index.js';
import { whichSet } from '../src/data/index.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    'per-word': { type: 'string', default: '200' },
    'lists-only': { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    // Each real training clip is linked this many times (oversampling the real speakers, the voices users have).
    'real-copies': { type: 'string', default: '1' },
    real: { type: 'string', default: resolve(import.meta.dirname, '../../shared/data/real') },
    // The training negatives of kws synth (off by default, as the bundled model's corpus was made).
    'unknown-words': { type: 'string', default: '0' },
    'soundalike-speakers': { type: 'string', default: '0' },
    'composed-unknowns': { type: 'string', default: '0' },
    'non-speech': { type: 'string', default: '0' },
    'non-speech-silence': { type: 'string', default: '' },
    'exclude-held-out-voices': { type: 'boolean', default: false },
  },
});
if (values.out === undefined) throw new Error('--out DIR is required');
const out = resolve(values.out);
const real = values.real;
if (!values['lists-only'])
  await synthesizeCorpus({
    outDir: out,
    perWord: Number(values['per-word']),
    unknownWords: Number(values['unknown-words']),
    soundalikeSpeakers: Number(values['soundalike-speakers']),
    composedUnknowns: Number(values['composed-unknowns']),
    nonSpeech: Number(values['non-speech']),
    nonSpeechSilence:
      values['non-speech-silence'] === '' ? [] : (values['non-speech-silence'].split(',') as NonSpeechKind[]),
    excludeHeldOutVoices: values['exclude-held-out-voices'],
    seed: Number(values.seed),
    realNoiseDir: real,
  });

/** Links a real clip into `<folder>/<name>`, unless that name is taken. */
function link(source: string, folder: string, name: string): string | null {
  mkdirSync(join(out, folder), { recursive: true });
  const target = join(out, folder, name);
  if (existsSync(target)) return null;
  symlinkSync(source, target);
  return `${folder}/${name}`;
}

const added: string[] = [];
// The v0.02 test set: command folders, _unknown_/<word>_<speaker>_nohash_<n>.wav.wav, _silence_/<n>.wav.
const pico = join(real, 'pico-testset-v0.02');
const folders = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
for (const folder of folders(pico)) {
  for (const file of readdirSync(join(pico, folder)).filter((f) => f.endsWith('.wav'))) {
    const source = join(pico, folder, file);
    if (folder === '_unknown_') {
      const [word, ...rest] = file.replace(/\.wav\.wav$/, '.wav').split('_');
      added.push(link(source, word as string, rest.join('_')) ?? '');
    } else if (folder === '_silence_') {
      added.push(link(source, '_silence_', `real${basename(file, '.wav')}_nohash_0.wav`) ?? '');
    } else {
      added.push(link(source, folder, file) ?? '');
    }
  }
}
// v0.01 training sample (30 words) and the sc09 digits.
for (const base of [join(real, 'vinsis-v0.01'), join(real, 'wids-tutorial/sc09')]) {
  for (const folder of folders(base)) {
    for (const file of readdirSync(join(base, folder)).filter((f) => f.endsWith('.wav')))
      added.push(link(join(base, folder, file), folder, file) ?? '');
  }
}
// Rewrite the lists over everything, by the speaker hash. The real test-set clips all hash to
// "testing" under the dataset's own rule (that is how the official test set was chosen), so real
// clips are split by the same rule on a salted name: 70 / 15 / 15 %, still one split per speaker.
const isReal = (path: string): boolean => lstatSync(join(out, path)).isSymbolicLink();
const splitOf = (path: string): string =>
  isReal(path) ? whichSet(path.replace(/([^/]+)$/, 'kws-default_$1'), 15, 15) : whichSet(path);
const all: string[] = [];
for (const folder of folders(out).filter((f) => f !== '_background_noise_' && f !== 'test')) {
  for (const file of readdirSync(join(out, folder))) all.push(`${folder}/${file}`);
}
all.sort();
writeFileSync(join(out, 'validation_list.txt'), all.filter((p) => splitOf(p) === 'validation').join('\n') + '\n');
writeFileSync(join(out, 'testing_list.txt'), all.filter((p) => splitOf(p) === 'testing').join('\n') + '\n');
const copies = Number(values['real-copies']);
if (!Number.isInteger(copies) || copies < 1) throw new Error('--real-copies must be an integer of at least 1');
let copied = 0;
for (const path of all.filter((p) => isReal(p) && splitOf(p) === 'training' && !/c\d+\.wav$/.test(p))) {
  for (let k = 2; k <= copies; k++) {
    const target = join(out, path.replace(/\.wav$/, `c${k}.wav`));
    if (!existsSync(target)) {
      symlinkSync(
        lstatSync(join(out, path)).isSymbolicLink()
          ? resolve(join(out, path, '..'), readlinkSync(join(out, path)))
          : join(out, path),
        target,
      );
      copied++;
    }
  }
}
if (copied > 0) console.log(`linked ${copied} extra copies of real training clips (--real-copies ${copies})`);
console.log(
  `${out}: ${all.length} clips, ${all.filter(isReal).length} of them real (${added.filter((a) => a !== '').length} linked now)`,
);
