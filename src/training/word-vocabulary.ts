import type { Example, SpeechCommandsDataset } from '../data/index.js';
import { KwsError } from '../errors/index.js';
import { COMMAND_WORDS, labelIndex } from '../labels/index.js';
import type { WordsSpec } from '../registry/index.js';

/** The word of an all-words model that stands for words it never trained on (a validation-only word, `_unknown_` clips). */
export const UNSEEN_WORD = '_unknown_';

/** The class of silence (the `_silence_` folder and the silence cuts) in an all-words model. */
const SILENCE_WORD = 'silence';

/**
 * The classes of a model of every word (the challenge's winners trained on all 30 words and mapped
 * them to 12): the 10 commands, `silence`, `_unknown_` (a word it never trained on), then every other
 * word folder of the training split, sorted; and the label each counts for (`unknown` for every
 * word that is not a command). With `given` (a base version's), those words are kept as they are.
 *
 * @throws KwsError `INVALID_ARGUMENT` for a `given` vocabulary that does not start with the commands,
 *   `silence` and `_unknown_`, or repeats a word.
 */
export function wordVocabulary(dataset: SpeechCommandsDataset, given?: readonly string[]): WordsSpec {
  const fixed = [...COMMAND_WORDS, SILENCE_WORD, UNSEEN_WORD];
  let vocabulary: string[];
  if (given !== undefined) {
    if (fixed.some((w, i) => given[i] !== w) || new Set(given).size !== given.length)
      throw new KwsError(
        'INVALID_ARGUMENT',
        `a word vocabulary starts with ${fixed.join(', ')} and names each word once; got ${given.slice(0, 14).join(', ')}…`,
      );
    vocabulary = [...given];
  } else {
    const others = new Set(dataset.otherWords.training.map((e) => e.word));
    others.delete(UNSEEN_WORD);
    vocabulary = [...fixed, ...[...others].sort()];
  }
  const groups = vocabulary.map((word) =>
    (COMMAND_WORDS as readonly string[]).includes(word)
      ? labelIndex(word as (typeof COMMAND_WORDS)[number])
      : word === SILENCE_WORD
        ? labelIndex('silence')
        : labelIndex('unknown'),
  );
  return { vocabulary, groups };
}

/**
 * The class of `example` in a vocabulary (`index`: word to class): `silence` for silence, its label
 * for a command (a pseudo-label's too), else its word, or `_unknown_` for a word the vocabulary lacks.
 */
export function wordOf(example: Example, index: ReadonlyMap<string, number>): number {
  if (example.kind === 'silence' || example.label === 'silence') return index.get(SILENCE_WORD) as number;
  if (example.label !== 'unknown') return index.get(example.label) as number;
  return index.get(example.word) ?? (index.get(UNSEEN_WORD) as number);
}

/**
 * The dataset with every clip of every word in its training split: its command and silence examples,
 * and all of `otherWords.training` in place of the `unknown` sample. Validation and testing keep the
 * sample, so their figures compare with a 12-label model's.
 */
export function withEveryWord(dataset: SpeechCommandsDataset): SpeechCommandsDataset {
  const kept = dataset.examples.training.filter((e) => e.label !== 'unknown');
  return {
    ...dataset,
    examples: { ...dataset.examples, training: [...kept, ...dataset.otherWords.training] },
  };
}
