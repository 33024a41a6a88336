import { KwsError } from '../errors/index.js';
import { LABELS } from '../labels/index.js';
import type { Label } from '../labels/index.js';
import type { Rng } from './rng.js';

/** Yields the example indices of one epoch, in order. */
export interface Sampler {
  /** Indices into the example list, one epoch's worth. */
  epoch(): number[];
}

/** Every example once per epoch, in a new seeded order each epoch. */
export class ShuffledSampler implements Sampler {
  constructor(
    private readonly size: number,
    private readonly rng: Rng,
  ) {}

  epoch(): number[] {
    return this.rng.shuffle(Array.from({ length: this.size }, (_, i) => i));
  }
}

/**
 * Class-balanced sampling: each draw picks class c with probability p_c (default uniform over the
 * classes present), then the next example of that class from a shuffled pool, so examples are drawn
 * without replacement within an epoch until a class runs out, when its pool is reshuffled. An epoch
 * has as many draws as there are examples (or `epochSize`).
 */
export class BalancedSampler implements Sampler {
  private readonly pools = new Map<Label, number[]>();
  private readonly cursors = new Map<Label, number>();
  private readonly classes: Label[];
  private readonly cumulative: number[];

  /**
   * @param labels Label of each example, `[examples]`.
   * @param classProbabilities Relative weights per label; absent labels get weight 1 when none is
   *   given, else 0. Labels with no example are dropped and the rest renormalised.
   * @throws KwsError `INVALID_ARGUMENT` for no examples, a negative weight, or weights that sum to 0.
   */
  constructor(
    labels: readonly Label[],
    private readonly rng: Rng,
    classProbabilities?: Partial<Record<Label, number>>,
    private readonly epochSize = labels.length,
  ) {
    if (labels.length === 0) throw new KwsError('INVALID_ARGUMENT', 'BalancedSampler needs at least one example');
    labels.forEach((label, index) => {
      const pool = this.pools.get(label) ?? [];
      pool.push(index);
      this.pools.set(label, pool);
    });
    this.classes = LABELS.filter((l) => this.pools.has(l));
    const weights = this.classes.map((l) => (classProbabilities === undefined ? 1 : (classProbabilities[l] ?? 0)));
    if (weights.some((w) => !(w >= 0) || !Number.isFinite(w))) {
      throw new KwsError(
        'INVALID_ARGUMENT',
        `class probabilities must be finite and ≥ 0, got ${Object.entries(classProbabilities ?? {})
          .map(([k, v]) => `${k}: ${String(v)}`)
          .join(', ')}`,
      );
    }
    const total = weights.reduce((a, b) => a + b, 0);
    if (total <= 0)
      throw new KwsError(
        'INVALID_ARGUMENT',
        `class probabilities sum to 0 over the classes present (${this.classes.join(', ')})`,
      );
    let running = 0;
    this.cumulative = weights.map((w) => (running += w / total));
    for (const label of this.classes) this.reshuffle(label);
  }

  /** The probability each class is drawn with, after renormalisation. */
  probabilities(): Partial<Record<Label, number>> {
    return Object.fromEntries(
      this.classes.map((l, i) => [
        l,
        (this.cumulative[i] as number) - (i === 0 ? 0 : (this.cumulative[i - 1] as number)),
      ]),
    );
  }

  epoch(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.epochSize; i++) out.push(this.next(this.drawClass()));
    return out;
  }

  private drawClass(): Label {
    const u = this.rng.float();
    const at = this.cumulative.findIndex((c) => u < c);
    return this.classes[at < 0 ? this.classes.length - 1 : at] as Label;
  }

  private next(label: Label): number {
    const pool = this.pools.get(label) as number[];
    let cursor = this.cursors.get(label) ?? 0;
    if (cursor >= pool.length) {
      this.reshuffle(label);
      cursor = 0;
    }
    this.cursors.set(label, cursor + 1);
    return pool[cursor] as number;
  }

  private reshuffle(label: Label): void {
    this.rng.shuffle(this.pools.get(label) as number[]);
    this.cursors.set(label, 0);
  }
}
