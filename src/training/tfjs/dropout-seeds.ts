import type * as tfl from '@tensorflow/tfjs-layers';

/** The part of a TF.js `Dropout` layer this module changes (its `seed` is private in the typings). */
interface SeededLayer {
  seed?: number;
}

/**
 * Fresh, reproducible dropout masks for every training step of one model.
 *
 * TF.js's `Dropout` layer passes its configured `seed` to `tf.dropout`, whose `randomUniform`
 * builds a new generator from that seed on every call, so a seeded layer draws the same mask on
 * every step (row k of every batch loses the same units). This class gives each step its own seed,
 * derived from the layer's configured seed, the step number and the shard of a data-parallel step,
 * and puts the configured seed back after the step, so the saved topology does not change. Unseeded
 * dropout layers are left alone (they draw from `Math.random`, as TF.js does).
 */
export class DropoutSeeds {
  private steps = 0;
  private readonly layers: Array<{ layer: SeededLayer; seed: number }>;

  /**
   * @param model The model being trained; its `Dropout` layers with a seed are reseeded.
   * @param shard The shard this copy of the model computes in a data-parallel step (0 for the main
   *   copy): copies that compute different shards of one step draw different masks.
   */
  constructor(
    model: tfl.LayersModel,
    private readonly shard = 0,
  ) {
    this.layers = model.layers
      .filter((layer) => layer.getClassName() === 'Dropout')
      .map((layer) => ({ layer: layer as unknown as SeededLayer, seed: (layer as unknown as SeededLayer).seed }))
      .filter((entry): entry is { layer: SeededLayer; seed: number } => typeof entry.seed === 'number');
  }

  /** Runs `train` (one training step) with this step's seeds, then restores the configured ones. */
  async step<T>(train: () => Promise<T>): Promise<T> {
    const step = this.steps++;
    for (const { layer, seed } of this.layers) layer.seed = stepSeed(seed, this.shard, step);
    try {
      return await train();
    } finally {
      for (const { layer, seed } of this.layers) layer.seed = seed;
    }
  }
}

/**
 * A seed for (configured seed, shard, step): an integer in [1, 2^31) mixed with the 32-bit
 * multiply-xorshift finaliser of MurmurHash3 (Appleby), so neighbouring steps get unrelated seeds.
 */
function stepSeed(seed: number, shard: number, step: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(shard + 1, 0x85ebca6b) ^ Math.imul(step + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return (h % 0x7fffffff) + 1;
}
