import { resampleMono } from '../audio/index.js';
import type { Rng } from '../data/index.js';
import { COMMAND_WORDS, WORDS_V1 } from '../labels/index.js';
import type { SyntheticSpeaker } from './speakers.js';
import { TRAIN_SOUNDALIKES } from './vocabulary.js';

// Composed unknowns, after the generated unknowns of the Kaggle TensorFlow Speech Recognition
// Challenge's 4th-place team: sounds that are speech-like, and that share half of a command, but
// are not a word the model knows. A model that answers a command from half of it answers `yes` to
// "yet" and `go` to "goat"; these clips teach it that half a command is not the command.

/** Samples of the cross-fade at a splice: 10 ms at 16 kHz. */
const CROSSFADE_SAMPLES = 160;
/** Longest composed utterance before it is sped up to fit, samples (0.98 s, as `prepareUtterance`). */
const MAX_UTTERANCE_SAMPLES = 15_680;
const SAMPLE_RATE_HZ = 16_000;
/** Every 4th composed clip (index 3, 7, 11, ...) is a reversed word; the others are splices. */
const REVERSED_EVERY = 4;

/**
 * Pairs of the corpus's words whose halves rhyme, so that a command's first half joined to the other's
 * second half says the command again ("g" of go + "o" of no).
 */
const RHYMING_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['go', 'no'],
  ['on', 'one'],
];

/** Words whose sounds reversed make a command: no and on (each other's), tire (right). Never reversed. */
const NOT_REVERSIBLE: ReadonlySet<string> = new Set(['no', 'on', 'tire']);

/** How one composed clip was made; the speaker's id names its file. */
export type ComposedRecipe =
  | {
      readonly kind: 'splice';
      /** `[first, second]`: the first half of the first word's utterance, then the second half of the second's. */
      readonly words: readonly [string, string];
      readonly speaker: string;
    }
  | { readonly kind: 'reversed'; readonly words: readonly [string]; readonly speaker: string };

/**
 * True when a splice of `command` with `partner` (either way round) could say the command again:
 * the partner is the command, one of its `TRAIN_SOUNDALIKES` (they share a half with it by design),
 * or its rhyming pair among the 30 words of v0.01 (go/no, on/one).
 */
export function spliceSaysCommand(command: string, partner: string): boolean {
  if (partner === command) return true;
  const soundalikes = (TRAIN_SOUNDALIKES as Readonly<Record<string, readonly string[]>>)[command] ?? [];
  if (soundalikes.includes(partner)) return true;
  return RHYMING_PAIRS.some(([a, b]) => (a === command && b === partner) || (b === command && a === partner));
}

/** A word of a composition: one of the 30 words of v0.01 (`WORDS_V1`) or one of `partners`, with even odds. */
function drawPartner(rng: Rng, partners: readonly string[]): string {
  return rng.chance(0.5) ? rng.pick(WORDS_V1) : rng.pick(partners);
}

/**
 * The recipe of the `index`-th composed clip. Every 4th (index 3, 7, ...) is a reversed word, the
 * others splices. Rng reads, in order: the speaker (uniform over `speakers`); for a splice, a command
 * (uniform), then a partner (one of the 30 v0.01 words or of `partners`, even odds; drawn again while
 * {@link spliceSaysCommand}), then whether the command comes first (even odds); for a reversal, a
 * command or a partner (even odds; drawn again for no, on and tire, whose reversal says a command).
 *
 * @param partners Training words to compose with (`UNKNOWN_WORD_POOL`); never evaluation words.
 */
export function drawComposedRecipe(
  index: number,
  rng: Rng,
  speakers: readonly SyntheticSpeaker[],
  partners: readonly string[],
): ComposedRecipe {
  const speaker = rng.pick(speakers).id;
  if (index % REVERSED_EVERY === REVERSED_EVERY - 1) {
    let word: string;
    do word = rng.chance(0.5) ? rng.pick(COMMAND_WORDS) : drawPartner(rng, partners);
    while (NOT_REVERSIBLE.has(word));
    return { kind: 'reversed', words: [word], speaker };
  }
  const command = rng.pick(COMMAND_WORDS);
  let partner: string;
  do partner = drawPartner(rng, partners);
  while (spliceSaysCommand(command, partner));
  return { kind: 'splice', words: rng.chance(0.5) ? [command, partner] : [partner, command], speaker };
}

/**
 * The energy midpoint `m` of an utterance: the smallest `m` for which the samples `[0, m)` hold at
 * least half the sum of squares, so that `[0, m)` and `[m, length)` carry about the same energy;
 * `length / 2` (rounded down) for an all-zero utterance.
 *
 * @param samples A trimmed utterance (see `prepareUtterance`).
 */
export function energyMidpoint(samples: Float32Array): number {
  let total = 0;
  for (const v of samples) total += v * v;
  if (total === 0) return Math.floor(samples.length / 2);
  let running = 0;
  for (let i = 0; i < samples.length; i++) {
    running += (samples[i] as number) ** 2;
    if (running >= total / 2) return i + 1;
  }
  return samples.length;
}

/**
 * The first half of `first` (before its {@link energyMidpoint}) joined to the second half of `second`
 * (from its energy midpoint), with a 10 ms raised-cosine cross-fade where they meet so that the join
 * has no click (a click would be a cue the model could learn instead of the sound).
 *
 * @param first, second Trimmed 16 kHz utterances of one speaker.
 * @returns 16 kHz samples, `head + tail - fade` long, where `fade` is 160 or the shorter part's length.
 */
export function spliceHalves(first: Float32Array, second: Float32Array): Float32Array {
  const head = first.subarray(0, energyMidpoint(first));
  const tail = second.subarray(energyMidpoint(second));
  const fade = Math.min(CROSSFADE_SAMPLES, head.length, tail.length);
  const out = new Float32Array(head.length + tail.length - fade);
  out.set(head.subarray(0, head.length - fade));
  const start = head.length - fade;
  for (let i = 0; i < fade; i++) {
    const rise = 0.5 - 0.5 * Math.cos((Math.PI * (i + 0.5)) / fade);
    out[start + i] = (head[start + i] as number) * (1 - rise) + (tail[i] as number) * rise;
  }
  out.set(tail.subarray(fade), head.length);
  return out;
}

/** The utterance played backwards (a new array). */
export function reverseUtterance(samples: Float32Array): Float32Array {
  return Float32Array.from(samples).reverse();
}

/**
 * The utterance of a recipe, ready for `placeInClip`: the splice of the two words' utterances, or the
 * reversed word, sped up by resampling when longer than 0.98 s (as `prepareUtterance` does).
 *
 * @param speak The trimmed 16 kHz utterance of a word by the recipe's speaker (`prepareUtterance`).
 * @returns 16 kHz samples, at most 15,680.
 */
export async function composeUtterance(
  recipe: ComposedRecipe,
  speak: (word: string) => Promise<Float32Array>,
): Promise<Float32Array> {
  const composed =
    recipe.kind === 'splice'
      ? spliceHalves(await speak(recipe.words[0]), await speak(recipe.words[1]))
      : reverseUtterance(await speak(recipe.words[0]));
  if (composed.length <= MAX_UTTERANCE_SAMPLES) return composed;
  const fasterRate = Math.ceil((SAMPLE_RATE_HZ * composed.length) / MAX_UTTERANCE_SAMPLES);
  return Float32Array.from(
    (await resampleMono(composed, fasterRate, SAMPLE_RATE_HZ)).subarray(0, MAX_UTTERANCE_SAMPLES),
  );
}
