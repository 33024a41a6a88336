export { Rng } from './rng.js';
export { speakerOf, SPLITS, whichSet } from './split.js';
export type { Split } from './split.js';
export { countByLabel, listTestClips, resolveDatasetOptions, scanSpeechCommands } from './reader.js';
export type { DatasetOptions, Example, SilenceExample, SpeechCommandsDataset, WordExample } from './reader.js';
export {
  augmentClip,
  DEFAULT_AUGMENT_CONFIG,
  maskFeatures,
  meanPower,
  mixAtSnr,
  NO_AUGMENT,
  noiseSegment,
  resolveAugmentConfig,
  SILENCE_LEVEL_DBFS,
  SILENCE_ZERO_SHARE,
  silenceClip,
  timeShift,
  vtlpFactor,
  SPEED_RESAMPLERS,
} from './augment.js';
export { bandLimit, reverberate, roomImpulseResponse } from './channel.js';
export type { AugmentConfig, SpeedResampler } from './augment.js';
export { BalancedSampler, ShuffledSampler } from './sampler.js';
export type { Sampler } from './sampler.js';
export { ExampleLoader } from './loader.js';
export { readRegularFile } from './regular-file.js';
