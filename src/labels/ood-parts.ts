import { UnreachableCaseError } from '../errors/index.js';
import { labelForWord } from './labels.js';
import type { Label } from './labels.js';

/**
 * The parts of the project's OOD evaluation set (`kws ood-set` writes it, `kws eval` scores it) and
 * the answer each part expects: a leaf, so that the writer (src/synth) and the evaluator
 * (src/training) share one rule.
 */

/** The parts of the OOD set, each a top-level folder. */
export const OOD_PARTS = ['oov', 'soundalike', 'non-speech', 'real-noise', 'held-out-voices'] as const;

/** One of {@link OOD_PARTS}. */
export type OodPart = (typeof OOD_PARTS)[number];

/** How each part is scored, in words (written to `manifest.json` and the set's README.md). */
export const OOD_EXPECTED_RULES: Readonly<Record<OodPart, string>> = {
  oov: 'unknown: ordinary English words held out from training (EVAL_OOV_WORDS), none a Speech Commands word',
  soundalike: 'unknown: words that sound like a command (EVAL_SOUNDALIKES; the folder is the word, not the command)',
  'non-speech': 'not a command: silence or unknown are both correct; any of the ten commands is wrong',
  'real-noise':
    'silence: 1 s excerpts of real background-noise recordings at random levels (the recordings training mixes in too: a check of silence, not held out)',
  'held-out-voices': "the folder's label: a command folder is that command, any other word folder is unknown",
};

/**
 * The labels counted as correct for a clip in subfolder `folder` of `part` (see
 * {@link OOD_EXPECTED_RULES}).
 */
export function oodExpectedLabels(part: OodPart, folder: string): readonly Label[] {
  switch (part) {
    case 'oov':
    case 'soundalike':
      return ['unknown'];
    case 'non-speech':
      return ['silence', 'unknown'];
    case 'real-noise':
      return ['silence'];
    case 'held-out-voices':
      return [labelForWord(folder)];
    default:
      throw new UnreachableCaseError(part);
  }
}
