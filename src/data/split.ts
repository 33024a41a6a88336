import { createHash } from 'node:crypto';
import { basename } from 'node:path';

/** The three splits of a Speech Commands dataset. */
export type Split = 'training' | 'validation' | 'testing';

/** Every split, in a fixed order. */
export const SPLITS: readonly Split[] = ['training', 'validation', 'testing'];

/** 2^27 − 1, `MAX_NUM_WAVS_PER_CLASS` in TensorFlow's speech_commands `input_data.py`. */
const MAX_NUM_WAVS_PER_CLASS = 2 ** 27 - 1;

/**
 * The speaker-stable hash split of Speech Commands (TensorFlow `speech_commands/input_data.py`,
 * `which_set`): the file name without everything from `_nohash_` on is hashed with SHA-1, taken mod
 * 2^27 and scaled to a percentage; below `validationPercentage` is validation, below
 * `validationPercentage + testingPercentage` testing, the rest training. All clips of one speaker
 * share a hash, so a speaker never straddles splits. The dataset's own lists were made this way.
 *
 * @param file A path or file name such as `yes/0a7c2a8d_nohash_0.wav`.
 * @param validationPercentage Percent, default 10.
 * @param testingPercentage Percent, default 10.
 */
export function whichSet(file: string, validationPercentage = 10, testingPercentage = 10): Split {
  const hashName = basename(file).replace(/_nohash_.*$/, '');
  const hex = createHash('sha1').update(hashName, 'utf8').digest('hex');
  const bucket = Number(BigInt(`0x${hex}`) % BigInt(MAX_NUM_WAVS_PER_CLASS + 1));
  const percentage = bucket * (100 / MAX_NUM_WAVS_PER_CLASS);
  if (percentage < validationPercentage) return 'validation';
  if (percentage < validationPercentage + testingPercentage) return 'testing';
  return 'training';
}

/**
 * The speaker id of a Speech Commands file name: the part before `_nohash_`, without the word
 * prefix that the v0.02 test set's `_unknown_` files carry (`bed_0c540988_nohash_0.wav.wav`).
 * Files without `_nohash_` (the test set's `_silence_/1050.wav`) have no speaker: `null`.
 */
export function speakerOf(file: string): string | null {
  const name = basename(file);
  const at = name.indexOf('_nohash_');
  if (at < 0) return null;
  const head = name.slice(0, at);
  const underscore = head.lastIndexOf('_');
  return underscore >= 0 ? head.slice(underscore + 1) : head;
}
