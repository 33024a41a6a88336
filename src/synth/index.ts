export { synthesizeCorpus, UNSEEN_TEST_WORDS } from './corpus.js';
export type { SynthOptions, SynthPhase, SynthReport } from './corpus.js';
export {
  COMPOSED_UNKNOWN_DIR,
  drawTrainingSpeakers,
  drawUnknownWords,
  NON_SPEECH_UNKNOWN_DIR,
  TRAINING_ESPEAK_VARIANTS,
  UNKNOWN_WORD_POOL,
} from './training-negatives.js';
export {
  composeUtterance,
  drawComposedRecipe,
  energyMidpoint,
  reverseUtterance,
  spliceHalves,
  spliceSaysCommand,
} from './composed-unknowns.js';
export type { ComposedRecipe } from './composed-unknowns.js';
export type { ComposedClipRecord, NonSpeechClipRecord } from './negatives-writer.js';
export { EspeakSynthesizer } from './espeak.js';
export type { EspeakVoice, Utterance } from './espeak.js';
export {
  drawSpeakers,
  ESPEAK_ACCENT_VOICES,
  ESPEAK_ENGLISH_VOICES,
  ESPEAK_HUMAN_VARIANTS,
  speakerId,
  withAccents,
} from './speakers.js';
export type { SyntheticSpeaker } from './speakers.js';
export { colouredNoise } from './noise.js';
export type { NoiseColour } from './noise.js';
export { createNoiseFloorBank, placeInClip, prepareUtterance, SYNTH_CLIP_SAMPLES, trimSilence } from './clip.js';
export type { NoiseFloorBank, PlacementOptions } from './clip.js';
export { EVAL_OOV_WORDS, EVAL_SOUNDALIKES, TRAIN_SOUNDALIKES, TRAIN_UNKNOWN_WORDS } from './vocabulary.js';
export {
  DTMF_HIGH_HZ,
  DTMF_KEYS,
  DTMF_LOW_HZ,
  drawNonSpeech,
  NON_SPEECH_KINDS,
  NON_SPEECH_PEAK_DBFS,
  NON_SPEECH_SAMPLES,
  nonSpeechClip,
  nonSpeechSplitOf,
  renderNonSpeech,
} from './non-speech.js';
export type { Adsr, NonSpeechKind, NonSpeechParams, NonSpeechSplit } from './non-speech.js';
export { DEFAULT_PICO_LINGWARE_DIR, PICO_LANGUAGES, PICO_LINGWARE_FILES, PicoSynthesizer } from './pico.js';
export type { PicoLanguage, PicoLingwareFile, PicoOptions, PicoVoice } from './pico.js';
export { drawHeldOutEspeakSpeakers, drawPicoSpeakers, HELD_OUT_ESPEAK_VARIANTS } from './held-out-voices.js';
export type { HeldOutVoice, PicoSpeaker } from './held-out-voices.js';
export { OOD_SET_DEFAULT_SIZES, OOD_SET_VERSION, writeOodSet } from './ood-set.js';
export type { OodSetOptions, OodSetReport, OodSetSizes } from './ood-set.js';
