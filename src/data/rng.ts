import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

/** MurmurHash3's fmix32 of `seed + golden ratio`: nearby seeds give unrelated generator states. */
function scrambleSeed(seed: number): number {
  let z = ((seed | 0) + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}

/**
 * Seeded pseudo-random numbers (xoroshiro128+ from pure-rand). Every random choice in the data
 * pipeline goes through one of these, so the same seed gives the same corpus, split, augmentation
 * and batch order.
 */
export class Rng {
  private readonly generator: JumpableRandomGenerator;

  /**
   * @param seed Any 32-bit integer. It is scrambled first (MurmurHash3's 32-bit finaliser): seeded
   * directly with a small integer, xoroshiro128+'s first outputs are nearly 1 and close across seeds.
   */
  constructor(seed: number) {
    this.generator = xoroshiro128plus(scrambleSeed(seed));
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return uniformFloat64(this.generator);
  }

  /** Uniform float in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return uniformInt(this.generator, min, max);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** A uniformly chosen element. Throws RangeError on an empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Rng.pick: empty array');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** Standard normal sample (Box-Muller). */
  normal(): number {
    const u = 1 - this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** An independent generator derived from this one (a fresh seed drawn from it). */
  fork(): Rng {
    return new Rng(this.forkSeed());
  }

  /** The seed {@link fork} would draw, for a generator made elsewhere (`new Rng(seed)` in a worker thread is `fork()`). */
  forkSeed(): number {
    return this.int(-(2 ** 31), 2 ** 31 - 1);
  }
}
