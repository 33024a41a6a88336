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
import { drawSpeakers, withAccents } from './speakers.js';
import type { SyntheticSpeaker } from './speakers.js';
import { makeTestClip, speedVariants } from './test-clip.js';
import { HELD_OUT_ESPEAK_VARIANTS } from './held-out-voices.js';
import { writeComposedUnknowns, writeNonSpeechUnknowns } from './negatives-writer.js';
import { NON_SPEECH_KINDS } from './non-speech.js';
import type { NonSpeechKind } from './non-speech.js';
import type { ComposedClipRecord, CorpusPart, NonSpeechClipRecord } from './negatives-writer.js';
import {
  COMPOSED_UNKNOWN_DIR,
  drawTrainingSpeakers,
  drawUnknownWords,
  NON_SPEECH_UNKNOWN_DIR,
  TRAINING_ESPEAK_VARIANTS,
  UNKNOWN_WORD_POOL,
} from './training-negatives.js';
import { TRAIN_SOUNDALIKES } from './vocabulary.js';

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
  /**
   * Draw the corpus's speakers from the 73 variants training may use (`TRAINING_ESPEAK_VARIANTS`),
   * never from `HELD_OUT_ESPEAK_VARIANTS`. Default false: all 83 variants, as corpora were drawn
   * before the held-out list existed (so the same options keep giving the same bytes).
   */
  readonly excludeHeldOutVoices?: boolean;
  /**
   * Share of the speakers, 0 to 1, given an eSpeak voice of another language (an accent; see
   * `withAccents`). Default 0: the corpus is byte for byte what it was without the option.
   */
  readonly accentedVoices?: number;
  /**
   * Words of `UNKNOWN_WORD_POOL` (the training vocabulary `TRAIN_UNKNOWN_WORDS` less `test`) said by
   * every speaker into their own `<word>/` folders, which the reader labels `unknown`. A seeded draw,
   * never one of the corpus's `words`. Default 0; at most the pool's size (2,075).
   */
  readonly unknownWords?: number;
  /**
   * Speakers per sound-alike: each of the 95 words of `TRAIN_SOUNDALIKES` but `test` (a rhyme or a
   * changed sound of a command: best, blow, pop, round, lend, rice, pond, cost, stick, code, ...) said
   * by a seeded draw of this many of the corpus's speakers into its own `<word>/` folder, which the
   * reader labels `unknown`: the hardest negatives, of which a draw of `unknownWords` holds only a few
   * (2,075 words, 95 of them sound-alikes). A sound-alike that is one of the corpus's `words` or was
   * drawn by `unknownWords` (said by every speaker already) is not written again. Default 0; at most
   * `perWord`.
   */
  readonly soundalikeSpeakers?: number;
  /**
   * Clips of composed unknowns in `_composed_/`: the first half of one word joined to the second half
   * of another (one of them a command), and, every 4th clip, a word reversed (see
   * `drawComposedRecipe`). Default 0; at most 1,000,000.
   */
  readonly composedUnknowns?: number;
  /**
   * Non-speech clips per kind of `NON_SPEECH_KINDS` (13 kinds), from the training half of each kind's
   * parameters, in `_non_speech_/` as `unknown` examples. Default 0; at most 100,000.
   */
  readonly nonSpeech?: number;
  /**
   * Non-speech kinds written to `_silence_/` as `silence` examples instead of `_non_speech_/` as
   * `unknown` (e.g. `engine` and `noise-burst`, which sound like the background noise that real
   * `silence` clips hold). Only with `nonSpeech`. Default none.
   */
  readonly nonSpeechSilence?: readonly NonSpeechKind[];
  /** Called as work progresses: phase, done, total. */
  readonly onProgress?: (phase: SynthPhase, done: number, total: number) => void;
}

/** A phase of {@link synthesizeCorpus}, as `onProgress` reports it. */
export type SynthPhase = 'corpus' | 'unknown-words' | 'soundalikes' | 'composed' | 'non-speech' | 'test-pool' | 'test';

/** What {@link synthesizeCorpus} made, with timings. */
export interface SynthReport {
  readonly outDir: string;
  readonly words: number;
  readonly speakers: number;
  /** Clips of the corpus's `words` (words x speakers). */
  readonly clips: number;
  /** Words drawn for `unknownWords`, and their clips (words x speakers). */
  readonly unknownWords: number;
  readonly unknownWordClips: number;
  /** Sound-alike words written for `soundalikeSpeakers`, and their clips (words x `soundalikeSpeakers`). */
  readonly soundalikeWords: number;
  readonly soundalikeClips: number;
  /** Clips in `_composed_/` and `_non_speech_/`. */
  readonly composedClips: number;
  readonly nonSpeechClips: number;
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

/** The options of {@link synthesizeCorpus} with defaults merged and ranges checked, and the drawn unknown words. */
interface SynthConfig {
  readonly options: SynthOptions;
  readonly seed: number;
  readonly words: readonly string[];
  readonly testClips: number;
  readonly excludeHeldOutVoices: boolean;
  readonly unknownWords: readonly string[];
  /** The sound-alikes to write (TRAIN_SOUNDALIKES less the corpus's words and the drawn unknown words), and speakers per word. */
  readonly soundalikeWords: readonly string[];
  readonly soundalikeSpeakers: number;
  readonly composedUnknowns: number;
  readonly nonSpeech: number;
  readonly nonSpeechSilence: ReadonlySet<NonSpeechKind>;
}

function checkCount(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new KwsError('INVALID_ARGUMENT', `${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

function resolveSynthOptions(options: SynthOptions): SynthConfig {
  const seed = options.seed ?? 1;
  const words = options.words ?? WORDS_V1;
  const testClips = options.testClips ?? 0;
  checkCount('perWord', options.perWord, 1, 100_000);
  checkCount('testClips', testClips, 0, 1_000_000);
  const composedUnknowns = options.composedUnknowns ?? 0;
  checkCount('composedUnknowns', composedUnknowns, 0, 1_000_000);
  const nonSpeech = options.nonSpeech ?? 0;
  checkCount('nonSpeech', nonSpeech, 0, 100_000);
  const excludeHeldOutVoices = options.excludeHeldOutVoices ?? false;
  const nonSpeechSilence = new Set(options.nonSpeechSilence ?? []);
  const unknownKind = [...nonSpeechSilence].find((kind) => !(NON_SPEECH_KINDS as readonly string[]).includes(kind));
  if (unknownKind !== undefined)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `nonSpeechSilence: "${unknownKind}" is not a non-speech kind; choose from ${NON_SPEECH_KINDS.join(', ')}`,
    );
  if (nonSpeechSilence.size > 0 && nonSpeech === 0)
    throw new KwsError('INVALID_ARGUMENT', 'nonSpeechSilence needs nonSpeech clips per kind (it is 0)');
  // Drawn now, so that a count larger than the pool fails before anything is written.
  const unknownWords = drawUnknownWords(options.unknownWords ?? 0, seededRng(seed, 'unknown-words'), [
    ...words,
    ...UNSEEN_TEST_WORDS,
  ]);
  const soundalikeSpeakers = options.soundalikeSpeakers ?? 0;
  if (!Number.isInteger(soundalikeSpeakers) || soundalikeSpeakers < 0 || soundalikeSpeakers > options.perWord)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `soundalikeSpeakers must be an integer from 0 to perWord (${options.perWord}), got ${soundalikeSpeakers}`,
    );
  // `test` (a sound-alike of yes) is the Kaggle test set's folder, which the reader skips: only the pool's words.
  const written = new Set([...words, ...unknownWords]);
  const soundalikeWords =
    soundalikeSpeakers === 0
      ? []
      : Object.values(TRAIN_SOUNDALIKES).flatMap((list) =>
          list.filter((w) => !written.has(w) && UNKNOWN_WORD_POOL.includes(w)),
        );
  return {
    options,
    seed,
    words,
    testClips,
    excludeHeldOutVoices,
    unknownWords,
    soundalikeWords,
    soundalikeSpeakers,
    composedUnknowns,
    nonSpeech,
    nonSpeechSilence,
  };
}

/**
 * Writes a synthetic Speech Commands corpus: `<word>/<speaker>_nohash_0.wav` for every word and
 * synthetic speaker (eSpeak NG voices, see `drawSpeakers`), 16 kHz mono 16-bit, 1 s, the utterance
 * at a random offset and level over a quiet noise floor; `_background_noise_/` with generated white,
 * pink and brown noise plus any real recordings found; `validation_list.txt` and `testing_list.txt`
 * by the dataset's hashing rule; and, with `testClips`, a Kaggle-layout `test/audio/clip_<hex>.wav`
 * set with `test/labels.csv`. The same options give the same bytes.
 *
 * Teaching `unknown` (all off by default, when the corpus is byte-identical to one written before
 * they existed): `unknownWords` more word folders from the training vocabulary, `soundalikeSpeakers`
 * speakers for each training sound-alike of a command, `composedUnknowns`
 * clips in `_composed_/`, `nonSpeech` clips per kind in `_non_speech_/` (see `SynthOptions`); and
 * `excludeHeldOutVoices` keeps the evaluation's eSpeak variants out of the speakers. Each part draws
 * from its own seeded streams and synthesizer, so turning one on leaves the others' bytes as they were.
 *
 * @throws KwsError `INVALID_ARGUMENT` for a non-empty output folder or out-of-range counts.
 */
export async function synthesizeCorpus(options: SynthOptions): Promise<SynthReport> {
  const config = resolveSynthOptions(options);
  ensureEmptyDir(options.outDir, 'the corpus');
  try {
    return await writeCorpus(config);
  } catch (error) {
    throw fromFsError(error, options.outDir, 'write');
  }
}

/**
 * Writes `<word>/<speaker>_nohash_0.wav` for every word and each of its speakers (`speakersOf(word)`),
 * each clip placed with `seededRng(seed, rngPart, word, speaker.id)`; returns the relative paths.
 */
async function writeWordClips(
  config: SynthConfig,
  words: readonly string[],
  speakersOf: (word: string) => readonly SyntheticSpeaker[],
  synthesizer: EspeakSynthesizer,
  floorBank: NoiseFloorBank,
  phase: { readonly name: SynthPhase; readonly rngPart: string },
): Promise<string[]> {
  const { outDir } = config.options;
  const total = words.reduce((sum, word) => sum + speakersOf(word).length, 0);
  const relativePaths: string[] = [];
  for (const word of words) {
    await mkdir(join(outDir, word));
    for (const speaker of speakersOf(word)) {
      const utterance = synthesizer.synthesize(word, speaker);
      const speech = await prepareUtterance(utterance.samples, utterance.sampleRateHz);
      const clip = placeInClip(speech, seededRng(config.seed, phase.rngPart, word, speaker.id), floorBank);
      const relativePath = `${word}/${speaker.id}_nohash_0.wav`;
      await writeFile(join(outDir, relativePath), await encodeWavPcm16(clip, 16_000));
      relativePaths.push(relativePath);
      config.options.onProgress?.(phase.name, relativePaths.length, total);
    }
  }
  return relativePaths;
}

/** What the options that teach `unknown` wrote. */
interface NegativesWritten {
  readonly unknownWordPaths: readonly string[];
  readonly soundalikePaths: readonly string[];
  readonly composed: readonly ComposedClipRecord[];
  readonly nonSpeech: readonly NonSpeechClipRecord[];
}

/** The unknown words, sound-alikes, composed unknowns and non-speech clips; each part with its own synthesizer and streams. */
async function writeNegatives(
  config: SynthConfig,
  speakers: readonly SyntheticSpeaker[],
  floorBank: NoiseFloorBank,
): Promise<NegativesWritten> {
  const { onProgress, outDir } = config.options;
  const part = (name: SynthPhase): CorpusPart => ({
    outDir,
    seed: config.seed,
    floorBank,
    onProgress: (done, total) => onProgress?.(name, done, total),
  });
  const unknownWordPaths =
    config.unknownWords.length === 0
      ? []
      : await writeWordClips(config, config.unknownWords, () => speakers, await EspeakSynthesizer.create(), floorBank, {
          name: 'unknown-words',
          rngPart: 'unknown-word-clip',
        });
  const soundalikePaths =
    config.soundalikeWords.length === 0
      ? []
      : await writeWordClips(
          config,
          config.soundalikeWords,
          (word) =>
            seededRng(config.seed, 'soundalike-speakers', word)
              .shuffle([...speakers])
              .slice(0, config.soundalikeSpeakers),
          await EspeakSynthesizer.create(),
          floorBank,
          { name: 'soundalikes', rngPart: 'soundalike-clip' },
        );
  const composed =
    config.composedUnknowns === 0
      ? []
      : await writeComposedUnknowns(part('composed'), config.composedUnknowns, speakers);
  const nonSpeech =
    config.nonSpeech === 0
      ? []
      : await writeNonSpeechUnknowns(part('non-speech'), config.nonSpeech, config.nonSpeechSilence);
  return { unknownWordPaths, soundalikePaths, composed, nonSpeech };
}

async function writeCorpus(config: SynthConfig): Promise<SynthReport> {
  const { options, seed } = config;
  const started = performance.now();
  const synthesizer = await EspeakSynthesizer.create();
  const draw = config.excludeHeldOutVoices ? drawTrainingSpeakers : drawSpeakers;
  const speakers = withAccents(
    draw(options.perWord, seededRng(seed, 'speakers')),
    options.accentedVoices ?? 0,
    seededRng(seed, 'accents'),
  );
  const floorBank = createNoiseFloorBank(seededRng(seed, 'noise-floor'));
  const wordPaths = await writeWordClips(config, config.words, () => speakers, synthesizer, floorBank, {
    name: 'corpus',
    rngPart: 'clip',
  });
  const negatives = await writeNegatives(config, speakers, floorBank);
  await writeLists(options.outDir, [
    ...wordPaths,
    ...negatives.unknownWordPaths,
    ...negatives.soundalikePaths,
    ...negatives.composed.map((r) => r.file),
    ...negatives.nonSpeech.map((r) => r.file),
  ]);
  const noises = await writeBackgroundNoise(options.outDir, seed, await findRealNoise(options.realNoiseDir));
  await writeManifest(options.outDir, config, speakers, negatives);
  const corpusSeconds = (performance.now() - started) / 1000;

  const testStarted = performance.now();
  if (config.testClips > 0)
    await writeTestSet(options, seed, synthesizer, new Set(speakers.map((s) => s.id)), noises.samples, floorBank);
  const testSeconds = (performance.now() - testStarted) / 1000;
  return {
    outDir: options.outDir,
    words: config.words.length,
    speakers: speakers.length,
    clips: wordPaths.length,
    unknownWords: config.unknownWords.length,
    unknownWordClips: negatives.unknownWordPaths.length,
    soundalikeWords: config.soundalikeWords.length,
    soundalikeClips: negatives.soundalikePaths.length,
    composedClips: negatives.composed.length,
    nonSpeechClips: negatives.nonSpeech.length,
    backgroundNoise: noises.names,
    testClips: config.testClips,
    corpusSeconds,
    testSeconds,
    testClipsPerSecond: config.testClips > 0 ? config.testClips / testSeconds : 0,
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

/** How the recipe of the composed unknowns reads in the manifest. */
const COMPOSED_RECIPE =
  "Each clip is one speaker's: a splice (3 clips in 4) joins the first half of one word's trimmed utterance, " +
  "cut at its energy midpoint (half the sum of squares on each side), to the second half of another's, with a " +
  '10 ms raised-cosine cross-fade; one word is a command, the other one of the 30 v0.01 words or a training word, ' +
  'never the command itself, one of its sound-alikes or its rhyme (go/no, on/one). Every 4th clip is a word ' +
  '(a command half the time) played backwards (never no, on or tire, whose reversal says a command). Placed as words are.';

/** Manifest fields of the options that teach `unknown`: a key only for an option that is on, so a default corpus's SYNTH.json is as before. */
interface NegativesManifest {
  excludeHeldOutVoices?: { readonly variants: readonly string[]; readonly heldOut: readonly string[] };
  unknownWords?: { readonly count: number; readonly clips: number; readonly words: readonly string[] };
  soundalikes?: {
    readonly speakersPerWord: number;
    readonly clips: number;
    readonly words: readonly string[];
  };
  composedUnknowns?: {
    readonly folder: string;
    readonly clips: number;
    readonly splices: number;
    readonly reversed: number;
    readonly recipe: string;
    readonly records: readonly ComposedClipRecord[];
  };
  nonSpeech?: {
    readonly folder: string;
    /** Kinds written to `_silence_/` instead (absent when none). */
    readonly silenceKinds?: readonly NonSpeechKind[];
    readonly perKind: number;
    readonly clips: number;
    readonly parameterHalf: 'train';
    readonly placement: string;
    readonly records: readonly NonSpeechClipRecord[];
  };
}

function negativesManifest(config: SynthConfig, negatives: NegativesWritten): NegativesManifest {
  const body: NegativesManifest = {};
  if (config.excludeHeldOutVoices)
    body.excludeHeldOutVoices = { variants: TRAINING_ESPEAK_VARIANTS, heldOut: HELD_OUT_ESPEAK_VARIANTS };
  if (config.unknownWords.length > 0)
    body.unknownWords = {
      count: config.unknownWords.length,
      clips: negatives.unknownWordPaths.length,
      words: config.unknownWords,
    };
  if (config.soundalikeWords.length > 0)
    body.soundalikes = {
      speakersPerWord: config.soundalikeSpeakers,
      clips: negatives.soundalikePaths.length,
      words: config.soundalikeWords,
    };
  if (config.composedUnknowns > 0) {
    const reversed = negatives.composed.filter((r) => r.kind === 'reversed').length;
    body.composedUnknowns = {
      folder: COMPOSED_UNKNOWN_DIR,
      clips: negatives.composed.length,
      splices: negatives.composed.length - reversed,
      reversed,
      recipe: COMPOSED_RECIPE,
      records: negatives.composed,
    };
  }
  if (config.nonSpeech > 0)
    body.nonSpeech = {
      folder: NON_SPEECH_UNKNOWN_DIR,
      ...(config.nonSpeechSilence.size > 0
        ? { silenceKinds: NON_SPEECH_KINDS.filter((kind) => config.nonSpeechSilence.has(kind)) }
        : {}),
      perKind: config.nonSpeech,
      clips: negatives.nonSpeech.length,
      parameterHalf: 'train',
      placement:
        'trimmed as an utterance, then placed as a word: random offset, RMS -30 to -14 dBFS (peak under 0.99), over the corpus noise floor; params.peakDbfs is the drawn peak before placement',
      records: negatives.nonSpeech,
    };
  return body;
}

async function writeManifest(
  outDir: string,
  config: SynthConfig,
  speakers: readonly SyntheticSpeaker[],
  negatives: NegativesWritten,
): Promise<void> {
  const body = {
    generator: 'kws synth',
    engine: 'eSpeak NG (@echogarden/espeak-ng-emscripten)',
    seed: config.seed,
    perWord: config.options.perWord,
    testClips: config.testClips,
    words: config.words,
    speakers,
    ...negativesManifest(config, negatives),
  };
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
