import { synthesizeCorpus } from '../../src/synth/index.js';

/**
 * A small synthetic Speech Commands corpus in `outDir`: 10 clips each of `yes`, `no` and the
 * auxiliary word `marvin` (unknown), seed 4, which puts speakers in the validation and the testing
 * split, without real background noise.
 */
export async function threeWordCorpus(outDir: string): Promise<void> {
  await synthesizeCorpus({ outDir, perWord: 10, seed: 4, realNoiseDir: null, words: ['yes', 'no', 'marvin'] });
}
