// The 12 classes and the Speech Commands word lists: a leaf that every layer may import without
// loading the data readers or the synthesizer.
export {
  ADDED_WORDS_V2,
  AUXILIARY_WORDS_V1,
  BACKGROUND_NOISE_DIR,
  argmax,
  COMMAND_WORDS,
  isCommand,
  isLabel,
  labelForWord,
  labelIndex,
  LABELS,
  WORDS_V1,
} from './labels.js';
export type { Label } from './labels.js';
export { OOD_EXPECTED_RULES, OOD_PARTS, oodExpectedLabels } from './ood-parts.js';
export type { OodPart } from './ood-parts.js';
