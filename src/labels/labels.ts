/**
 * The 12 classes of the TensorFlow Speech Recognition Challenge, in the order of the challenge's
 * submission format (and of every model's softmax output). Stored with every model version.
 */
export const LABELS = [
  'yes',
  'no',
  'up',
  'down',
  'left',
  'right',
  'on',
  'off',
  'stop',
  'go',
  'silence',
  'unknown',
] as const;

/** One of the 12 class names. */
export type Label = (typeof LABELS)[number];

/** The ten command words, which keep their own label. */
export const COMMAND_WORDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'] as const;

/** The 20 other words of Speech Commands v0.01 (auxiliary words), all labelled `unknown`. */
export const AUXILIARY_WORDS_V1 = [
  'bed',
  'bird',
  'cat',
  'dog',
  'eight',
  'five',
  'four',
  'happy',
  'house',
  'marvin',
  'nine',
  'one',
  'seven',
  'sheila',
  'six',
  'three',
  'tree',
  'two',
  'wow',
  'zero',
] as const;

/** All 30 words of Speech Commands v0.01 (Warden 2018, table 1). */
export const WORDS_V1: readonly string[] = [...COMMAND_WORDS, ...AUXILIARY_WORDS_V1];

/** The five words added in v0.02, also `unknown` here. */
export const ADDED_WORDS_V2 = ['backward', 'forward', 'follow', 'learn', 'visual'] as const;

/** Folder of background-noise recordings, cut into `silence` examples. */
export const BACKGROUND_NOISE_DIR = '_background_noise_';

const COMMANDS: ReadonlySet<string> = new Set(COMMAND_WORDS);

/** Index of a label in {@link LABELS}. */
export function labelIndex(label: Label): number {
  return LABELS.indexOf(label);
}

/** Index of the largest value of `probabilities[offset ..< offset + length]` (default the 12 labels: a row in {@link LABELS} order). */
export function argmax(probabilities: ArrayLike<number>, offset = 0, length = LABELS.length): number {
  let best = 0;
  for (let i = 1; i < length; i++)
    if ((probabilities[offset + i] as number) > (probabilities[offset + best] as number)) best = i;
  return best;
}

/** True when `label` is one of the ten {@link COMMAND_WORDS} (not `silence` or `unknown`). */
export function isCommand(label: string): boolean {
  return COMMANDS.has(label);
}

/** True when `value` is one of the 12 labels. */
export function isLabel(value: string): value is Label {
  return (LABELS as readonly string[]).includes(value);
}

/**
 * The challenge label of a word folder: a command keeps its name; `_silence_` (the v0.02 test-set
 * folder) is `silence`; every other folder, `_unknown_` included, is `unknown`.
 */
export function labelForWord(word: string): Label {
  if (COMMANDS.has(word)) return word as Label;
  if (word === '_silence_' || word === 'silence') return 'silence';
  return 'unknown';
}
