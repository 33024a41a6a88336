import { ADDED_WORDS_V2, BACKGROUND_NOISE_DIR, labelForWord, WORDS_V1 } from '../labels/index.js';
import type { Rng } from '../data/index.js';
import { KwsError } from '../errors/index.js';
import { HELD_OUT_ESPEAK_VARIANTS } from './held-out-voices.js';
import { drawEspeakSpeakers, ESPEAK_HUMAN_VARIANTS } from './speakers.js';
import type { SyntheticSpeaker } from './speakers.js';
import { EVAL_OOV_WORDS, EVAL_SOUNDALIKES, TRAIN_UNKNOWN_WORDS } from './vocabulary.js';

// What `kws synth` adds to teach `unknown`: words of the training vocabulary in their own folders,
// composed unknowns in `_composed_`, non-speech sounds in `_non_speech_`. The reader labels every
// folder that is not a command (or `silence`/`_silence_`) `unknown`, so none needs a new label.

/** Folder of the composed unknowns (spliced halves and reversed words); the reader maps it to `unknown`. */
export const COMPOSED_UNKNOWN_DIR = '_composed_';

/** Folder of the non-speech sounds written as `unknown` examples; the reader maps it to `unknown`. */
export const NON_SPEECH_UNKNOWN_DIR = '_non_speech_';

/** The eSpeak NG variants training may use when held-out voices are excluded: the 83 human-sounding ones (`ESPEAK_HUMAN_VARIANTS`, the default `''` included) but the 10 held out: 73. */
export const TRAINING_ESPEAK_VARIANTS: readonly string[] = ESPEAK_HUMAN_VARIANTS.filter(
  (variant) => !(HELD_OUT_ESPEAK_VARIANTS as readonly string[]).includes(variant),
);

/**
 * Draws `count` distinct corpus speakers whose variants are {@link TRAINING_ESPEAK_VARIANTS} (drawn
 * uniformly), never one of `HELD_OUT_ESPEAK_VARIANTS`; voice, pitch, range and rate as `drawSpeakers`
 * draws them, in the same order of Rng reads.
 */
export function drawTrainingSpeakers(
  count: number,
  rng: Rng,
  exclude: ReadonlySet<string> = new Set(),
): SyntheticSpeaker[] {
  return drawEspeakSpeakers(count, rng, (r) => r.pick(TRAINING_ESPEAK_VARIANTS), exclude);
}

/**
 * Folder names a drawn word must not take: the 35 Speech Commands words, the folders the reader treats
 * specially (`_background_noise_`, `test`, `silence`, `_silence_`, `_unknown_`) and the corpus's own
 * `_composed_` and `_non_speech_`.
 */
const RESERVED_FOLDERS: ReadonlySet<string> = new Set([
  ...WORDS_V1,
  ...ADDED_WORDS_V2,
  BACKGROUND_NOISE_DIR,
  COMPOSED_UNKNOWN_DIR,
  NON_SPEECH_UNKNOWN_DIR,
  'test',
  'silence',
  '_silence_',
  '_unknown_',
]);

/** Words held out for evaluation, refused here again although the vocabulary lists are disjoint. */
const EVALUATION_WORDS: ReadonlySet<string> = new Set([...EVAL_OOV_WORDS, ...Object.values(EVAL_SOUNDALIKES).flat()]);

/**
 * True when `word` may be written as its own `unknown` word folder: not a reserved folder (see
 * above), not hidden or `_`-prefixed, not an evaluation word, and read back as `unknown`.
 */
function isUnknownFolder(word: string): boolean {
  return (
    !RESERVED_FOLDERS.has(word) &&
    !EVALUATION_WORDS.has(word) &&
    !word.startsWith('.') &&
    !word.startsWith('_') &&
    labelForWord(word) === 'unknown'
  );
}

/**
 * The words `--unknown-words` draws from: `TRAIN_UNKNOWN_WORDS` without the words whose folder is
 * reserved (only `test`, the Kaggle test set's folder, which the reader skips): 2,075 words, in the
 * vocabulary's order.
 */
export const UNKNOWN_WORD_POOL: readonly string[] = TRAIN_UNKNOWN_WORDS.filter(isUnknownFolder);

/**
 * Draws `count` distinct words of {@link UNKNOWN_WORD_POOL} that are not in `taken` (the corpus's
 * own words and any others to keep out), by a seeded shuffle of the pool; returned in alphabetical
 * order.
 *
 * @throws KwsError `INVALID_ARGUMENT` when fewer than `count` words remain.
 */
export function drawUnknownWords(count: number, rng: Rng, taken: readonly string[] = []): string[] {
  const takenSet = new Set(taken);
  const pool = UNKNOWN_WORD_POOL.filter((word) => !takenSet.has(word));
  if (!Number.isInteger(count) || count < 0 || count > pool.length) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      `unknownWords must be an integer from 0 to ${pool.length} (the training words left), got ${count}`,
    );
  }
  return rng
    .shuffle([...pool])
    .slice(0, count)
    .sort();
}
