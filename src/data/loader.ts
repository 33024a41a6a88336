import { createHash } from 'node:crypto';
import { readRegularFile } from './regular-file.js';
import { decodeAudio, fitToLength } from '../audio/index.js';
import { augmentClip, NO_AUGMENT, silenceClip } from './augment.js';
import type { AugmentConfig } from './augment.js';
import type { Example, SpeechCommandsDataset } from './reader.js';
import { Rng } from './rng.js';

/** Longest background-noise recording read, ms (the Speech Commands ones are 60-95 s). */
const MAX_NOISE_MS = 10 * 60 * 1000;

/**
 * Turns dataset examples into fixed-length clips: decodes word clips, cuts silence examples from the
 * background noise, and applies augmentation. Background noise is decoded once and kept (about 26 MB
 * for the six Speech Commands recordings).
 */
export class ExampleLoader {
  private constructor(
    /** Decoded background-noise recordings, each `[samples]` at 16 kHz. */
    readonly noises: readonly Float32Array[],
    private readonly seed: number,
    private readonly clipSamples: number,
  ) {}

  /**
   * @param dataset The listed dataset (its background noise is decoded here).
   * @param clipSamples Clip length, samples. Default 16000.
   * @throws AudioDecodeError when a background-noise file cannot be decoded.
   */
  static async create(dataset: SpeechCommandsDataset, clipSamples = 16_000): Promise<ExampleLoader> {
    const noises: Float32Array[] = [];
    for (const path of dataset.backgroundNoise) {
      noises.push(
        (
          await decodeAudio(await readRegularFile(path), {
            maxDurationMs: MAX_NOISE_MS,
            maxInputBytes: 512 * 1024 * 1024,
          })
        ).samples,
      );
    }
    return new ExampleLoader(noises, dataset.options.seed, clipSamples);
  }

  /**
   * The clip of one example, optionally augmented.
   *
   * @param rng Randomness of the augmentation (ignored with {@link NO_AUGMENT}).
   * @returns `[clipSamples]` in [-1, 1].
   * @throws AudioDecodeError when a word clip cannot be decoded.
   */
  async load(example: Example, augment: AugmentConfig = NO_AUGMENT, rng?: Rng): Promise<Float32Array> {
    const clip =
      example.kind === 'silence'
        ? this.silence(example.split, example.index)
        : fitToLength((await decodeAudio(await readRegularFile(example.path))).samples, this.clipSamples);
    if (augment === NO_AUGMENT || rng === undefined) return clip;
    return augmentClip(clip, augment, this.noises, rng);
  }

  /** Silence example `index` of `split`: the same cut every time for a given dataset seed. */
  silence(split: string, index: number): Float32Array {
    const digest = createHash('sha1').update(`${this.seed}/${split}/${index}`).digest();
    return silenceClip(this.noises, this.clipSamples, new Rng(digest.readInt32LE(0)));
  }
}
