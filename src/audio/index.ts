export { decodeAudio, MODEL_SAMPLE_RATE_HZ } from './decode.js';
export type { AudioContainer, AudioInfo, DecodedAudio, DecodeOptions } from './decode.js';
export { fitToLength, loudestWindowStart } from './fit.js';
export type { CropMode, FitOptions } from './fit.js';
export { rmsDbfs, SILENCE_FLOOR_DBFS } from './level.js';
export { downmixToMono, validateAndClamp } from './channels.js';
export { resampleMono } from './resample.js';
export { inspectWav } from './wav-header.js';
export type { WavLayout } from './wav-header.js';
