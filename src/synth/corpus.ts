import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { encodeWavPcm16 } from '../audio/index.js';
import { fromFsError, KwsError } from '../errors/index.js';
import {
  ADDED_WORDS_V2,
  AUXILIARY_WORDS_V1,
  BACKGROUND_NOISE_DIR,
  COMMAND_WORDS,
  labelForWord,
  LABELS,
  WORDS_V1,
} from '../labels/index.js';
import type { Label } from '../labels/index.js';
import { whichSet } from '../data/index.js';
import { createNoiseFloorBank, placeInClip, prepareUtterance } from './clip.js';
import { ensureEmptyDir, seededRng } from './output.js';
import type { NoiseFloorBank } from './clip.js';
import { EspeakSynthesizer } from './espeak.js';
import { colouredNoise } from './noise.js';
import type { NoiseColour } from './noise.js';
import { drawSpeakers } from './speakers.js';
import type { SyntheticSpeaker } from './speakers.js';
import { makeTestClip, speedVariants } from './test-clip.js';

/** Words outside the dataset's vocabulary, said only in the test set: out-of-distribution `unknown`. */
export const UNSEEN_TEST_WORDS = [
  'hello',
  'open',
  'close',
  'start',
  'music',
  'light',
  'water',
  'okay',
  'again',
  'maybe',
] as const;

/** Options of {@link synthesizeCorpus}. */
export interface SynthOptions {
  /** Output folder; created, and must be empty if it exists. */
  readonly outDir: string;
  /** Clips per word (one per synthetic speaker). */
  readonly perWord: number;
  /** Kaggle-layout test clips under `test/audio`, with `test/labels.csv`. Default 0. */
  readonly testClips?: number;
  /** Seed of every random choice. Default 1. */
  readonly seed?: number;
  /** Words of the training corpus. Default the 30 words of v0.01. */
  readonly words?: readonly string[];
  /** Folder searched for real `_background_noise_/*.wav` recordings to copy; `null` for none. */
  readonly realNoiseDir?: string | null;
  /** Called as work progresses: phase, done, total. */
  readonly onProgress?: (phase: 'corpus' | 'test-pool' | 'test', done: number, total: number) => void;
}

/** What {@link synthesizeCorpus} made, with timings. */
export interface SynthReport {
  readonly outDir: string;
  readonly words: number;
  readonly speakers: number;
  readonly clips: number;
  readonly backgroundNoise: readonly string[];
  readonly testClips: number;
  readonly corpusSeconds: number;
  readonly testSeconds: number;
  /** Test clips written per second, pool synthesis included. */
  readonly testClipsPerSecond: number;
}

/** Generated noise written to `_background_noise_`: 60 s each at -20 dBFS RMS. */
const GENERATED_NOISE: readonly NoiseColour[] = ['white', 'pink', 'brown'];
const NOISE_SECONDS = 60;

async function findRealNoise(dir: string | null | undefined): Promise<string[]> {
  if (dir === null || dir === undefined) return [];
  if (!existsSync(dir)) throw new KwsError('FILE_NOT_FOUND', `real-noise folder ${dir} does not exist`);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter(
      (e) => e.isFile() && e.name.toLowerCase().endsWith('.wav') && basename(e.parentPath) === BACKGROUND_NOISE_DIR,
    )
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * Writes a synthetic Speech Commands corpus: `<word>/<speaker>_nohash_0.wav` for every word and
 * synthetic speaker (eSpeak NG voices, see `drawSpeakers`), 16 kHz mono 16-bit, 1 s, the utterance
 * at a random offset and level over a quiet noise floor; `_background_noise_/` with generated white,
 * pink and brown noise plus any real recordings found; `validation_list.txt` and `testing_list.txt`
 * by the dataset's hashing rule; and, with `testClips`, a Kaggle-layout `test/audio/clip_<hex>.wav`
 * set with `test/labels.csv`. The same options give the same bytes.
 *
 * @throws KwsError `INVALID_ARGUMENT` for a non-empty output folder or out-of-range counts.
 */
export async function synthesizeCorpus(options: SynthOptions): Promise<SynthReport> {
  const seed = options.seed ?? 1;
  const words = options.words ?? WORDS_V1;
  const testClips = options.testClips ?? 0;
  if (!Number.isInteger(options.perWord) || options.perWord < 1 || options.perWord > 100_000) {
    throw new KwsError('INVALID_ARGUMENT', `perWord must be an integer from 1 to 100000, got ${options.perWord}`);
  }
  if (!Number.isInteger(testClips) || testClips < 0 || testClips > 1_000_000) {
    throw new KwsError('INVALID_ARGUMENT', `testClips must be an integer from 0 to 1000000, got ${testClips}`);
  }
  ensureEmptyDir(options.outDir, 'the corpus');
  try {
    return await writeCorpus(options, seed, words, testClips);
  } catch (error) {
    throw fromFsError(error, options.outDir, 'write');
  }
}

async function writeCorpus(
  options: SynthOptions,
  seed: number,
  words: readonly string[],
  testClips: number,
): Promise<SynthReport> {
  const started = performance.now();
  const synthesizer = await EspeakSynthesizer.create();
  const speakers = drawSpeakers(options.perWord, seededRng(seed, 'speakers'));
  const floorBank = createNoiseFloorBank(seededRng(seed, 'noise-floor'));

  const total = words.length * speakers.length;
  let done = 0;
  const relativePaths: string[] = [];
  for (const word of words) {
    await mkdir(join(options.outDir, word));
    for (const speaker of speakers) {
      const utterance = synthesizer.synthesize(word, speaker);
      const speech = await prepareUtterance(utterance.samples, utterance.sampleRateHz);
      const clip = placeInClip(speech, seededRng(seed, 'clip', word, speaker.id), floorBank);
      const relativePath = `${word}/${speaker.id}_nohash_0.wav`;
      await writeFile(join(options.outDir, relativePath), await encodeWavPcm16(clip, 16_000));
      relativePaths.push(relativePath);
      options.onProgress?.('corpus', ++done, total);
    }
  }
  await writeLists(options.outDir, relativePaths);
  const noises = await writeBackgroundNoise(options.outDir, seed, await findRealNoise(options.realNoiseDir));
  await writeManifest(options.outDir, { seed, perWord: options.perWord, testClips, words, speakers });
  const corpusSeconds = (performance.now() - started) / 1000;

  const testStarted = performance.now();
  if (testClips > 0)
    await writeTestSet(options, seed, synthesizer, new Set(speakers.map((s) => s.id)), noises.samples, floorBank);
  const testSeconds = (performance.now() - testStarted) / 1000;
  return {
    outDir: options.outDir,
    words: words.length,
    speakers: speakers.length,
    clips: relativePaths.length,
    backgroundNoise: noises.names,
    testClips,
    corpusSeconds,
    testSeconds,
    testClipsPerSecond: testClips > 0 ? testClips / testSeconds : 0,
  };
}

async function writeLists(outDir: string, relativePaths: readonly string[]): Promise<void> {
  const sorted = [...relativePaths].sort();
  const validation = sorted.filter((p) => whichSet(p) === 'validation');
  const testing = sorted.filter((p) => whichSet(p) === 'testing');
  await writeFile(join(outDir, 'validation_list.txt'), validation.map((p) => `${p}\n`).join(''));
  await writeFile(join(outDir, 'testing_list.txt'), testing.map((p) => `${p}\n`).join(''));
}

async function writeBackgroundNoise(
  outDir: string,
  seed: number,
  realNoise: readonly string[],
): Promise<{ names: string[]; samples: Float32Array[] }> {
  const dir = join(outDir, BACKGROUND_NOISE_DIR);
  await mkdir(dir);
  const names: string[] = [];
  const samples: Float32Array[] = [];
  for (const colour of GENERATED_NOISE) {
    const noise = colouredNoise(colour, NOISE_SECONDS * 16_000, 0.1, seededRng(seed, 'noise', colour));
    const name = `${colour}_noise.wav`;
    const bytes = await encodeWavPcm16(noise, 16_000);
    await writeFile(join(dir, name), bytes);
    names.push(name);
    samples.push(noise);
  }
  for (const path of realNoise) {
    // A recording named like one already there (the generated white_noise.wav, or a second copy
    // of doing_the_dishes.wav at another level) is kept too, as <name>_2.wav, <name>_3.wav, ...
    let name = basename(path);
    for (let n = 2; names.includes(name); n++) name = basename(path).replace(/(\.wav)?$/i, `_${n}.wav`);
    await copyFile(path, join(dir, name));
    names.push(name);
  }
  return { names, samples };
}

async function writeManifest(
  outDir: string,
  manifest: {
    seed: number;
    perWord: number;
    testClips: number;
    words: readonly string[];
    speakers: readonly SyntheticSpeaker[];
  },
): Promise<void> {
  const body = { generator: 'kws synth', engine: 'eSpeak NG (@echogarden/espeak-ng-emscripten)', ...manifest };
  await writeFile(join(outDir, 'SYNTH.json'), `${JSON.stringify(body, null, 2)}\n`);
}

/** Speakers of the test utterance pool: enough for variety, bounded so that 158k clips stay fast. */
function testSpeakerCount(testClips: number): number {
  return Math.min(40, Math.max(5, Math.ceil(testClips / 100)));
}

async function writeTestSet(
  options: SynthOptions,
  seed: number,
  synthesizer: EspeakSynthesizer,
  trainingSpeakers: ReadonlySet<string>,
  noises: readonly Float32Array[],
  floorBank: NoiseFloorBank,
): Promise<void> {
  const testClips = options.testClips ?? 0;
  const audioDir = join(options.outDir, 'test', 'audio');
  await mkdir(join(options.outDir, 'test'));
  await mkdir(audioDir);
  const speakers = drawSpeakers(testSpeakerCount(testClips), seededRng(seed, 'test-speakers'), trainingSpeakers);
  const unknownWords = [...AUXILIARY_WORDS_V1, ...ADDED_WORDS_V2, ...UNSEEN_TEST_WORDS];
  const poolWords = [...COMMAND_WORDS, ...unknownWords];
  const pool = new Map<string, Float32Array[]>();
  let done = 0;
  for (const word of poolWords) {
    const utterances: Float32Array[] = [];
    for (const speaker of speakers) {
      const utterance = synthesizer.synthesize(word, speaker);
      utterances.push(...(await speedVariants(await prepareUtterance(utterance.samples, utterance.sampleRateHz))));
      options.onProgress?.('test-pool', ++done, poolWords.length * speakers.length);
    }
    pool.set(word, utterances);
  }

  const rng = seededRng(seed, 'test-clips');
  const names = new Set<string>();
  const rows: Array<[string, Label]> = [];
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < testClips; i++) {
    const label = LABELS[rng.int(0, LABELS.length - 1)] as Label;
    const word = label === 'unknown' ? rng.pick(unknownWords) : label;
    if (label !== 'silence' && labelForWord(word) !== label)
      throw new Error(`test word ${word} does not map to ${label}`);
    let fname: string;
    do
      fname = `clip_${rng
        .int(0, 0xfffffffff - 1)
        .toString(16)
        .padStart(9, '0')}.wav`;
    while (names.has(fname));
    names.add(fname);
    const clip = makeTestClip(
      label === 'silence' ? null : rng.pick(pool.get(word) as Float32Array[]),
      noises,
      floorBank,
      rng.fork(),
    );
    pending.push(encodeWavPcm16(clip, 16_000).then((bytes) => writeFile(join(audioDir, fname), bytes)));
    if (pending.length >= 64) await Promise.all(pending.splice(0));
    rows.push([fname, label]);
    options.onProgress?.('test', i + 1, testClips);
  }
  await Promise.all(pending);
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  await writeFile(
    join(options.outDir, 'test', 'labels.csv'),
    stringify(rows, { header: true, columns: ['fname', 'label'] }),
  );
}
