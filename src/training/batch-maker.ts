import { augmentClip, maskFeatures, Rng, vtlpFactor } from '../data/index.js';
import type { AugmentConfig } from '../data/index.js';
import { FeatureExtractor } from '../features/index.js';
import type { FeatureConfig } from '../features/index.js';
import { clipAt } from './clip-cache.js';

/**
 * What the input pipeline of one training run needs; structured-cloneable, so that a worker thread
 * can be started with it (the clip samples on a SharedArrayBuffer are shared, not copied).
 */
export interface BatchMakerInit {
  /** `[clips · clipSamples]` 16-bit samples of the training split (`ClipSet.samples`). */
  readonly samples: Int16Array;
  /** Samples per clip (16000 at 16 kHz). */
  readonly clipSamples: number;
  /** Decoded background-noise recordings, each `[samples]` at 16 kHz (`ExampleLoader.noises`). */
  readonly noises: readonly Float32Array[];
  readonly augment: AugmentConfig;
  readonly features: FeatureConfig;
  /** Seed of the augmentation stream (`Rng.forkSeed` of the run's generator). */
  readonly seed: number;
}

/**
 * The training input pipeline of one run: per clip of a batch, augmentation (see `augmentClip`),
 * features through a VTLP-warped filterbank when one is drawn (`vtlpFactor`), then SpecAugment masks
 * (`maskFeatures`), all from one seeded stream in batch order, so the same seed gives the same
 * batches wherever they are made.
 */
export class BatchMaker {
  private readonly rng: Rng;
  private readonly extractor: FeatureExtractor;
  /** Extractors with VTLP-warped filterbanks, one per warp factor, made on first use. */
  private readonly warped = new Map<number, FeatureExtractor>();
  private readonly clip: Float32Array;

  constructor(private readonly init: BatchMakerInit) {
    this.rng = new Rng(init.seed);
    this.extractor = new FeatureExtractor(init.features);
    this.clip = new Float32Array(init.clipSamples);
  }

  /** Floats of one clip's features (`frames · bins`). */
  get clipSize(): number {
    return this.extractor.clipSize;
  }

  /**
   * Fills `out` (`[indices.length, frames, bins]`) with the augmented features of the training clips
   * at `indices`, drawing from the stream in order.
   */
  async make(indices: readonly number[], out: Float32Array): Promise<void> {
    const { frames, bins } = this.extractor.shape;
    const { augment, noises } = this.init;
    for (let b = 0; b < indices.length; b++) {
      const clip = await augmentClip(clipAt(this.init, indices[b] as number, this.clip), augment, noises, this.rng);
      this.extractorAt(vtlpFactor(augment, this.rng)).compute(clip, out, b * this.clipSize);
      maskFeatures(out, b * this.clipSize, frames, bins, augment, this.rng);
    }
  }

  /** The extractor itself for a warp factor of 1, else its twin whose mel filterbank is warped by `alpha`. */
  private extractorAt(alpha: number): FeatureExtractor {
    if (alpha === 1) return this.extractor;
    let warped = this.warped.get(alpha);
    if (warped === undefined) this.warped.set(alpha, (warped = new FeatureExtractor(this.extractor.config, alpha)));
    return warped;
  }
}
