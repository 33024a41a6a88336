import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BalancedSampler, Rng, ShuffledSampler } from '../../src/data/index.js';
import { LABELS } from '../../src/labels/index.js';
import type { Label } from '../../src/labels/index.js';

/** An imbalanced label list: `yes` 600, `no` 300, `unknown` 2000, `silence` 100. */
const labels: Label[] = [
  ...Array<Label>(600).fill('yes'),
  ...Array<Label>(300).fill('no'),
  ...Array<Label>(2000).fill('unknown'),
  ...Array<Label>(100).fill('silence'),
];

describe('samplers', () => {
  it('ShuffledSampler visits every example once per epoch, in a seeded order', () => {
    const a = new ShuffledSampler(1000, new Rng(1));
    const first = a.epoch();
    assert.deepEqual(
      [...first].sort((x, y) => x - y),
      Array.from({ length: 1000 }, (_, i) => i),
    );
    assert.notDeepEqual(a.epoch(), first);
    assert.deepEqual(new ShuffledSampler(1000, new Rng(1)).epoch(), first);
  });

  it('BalancedSampler draws each present class about equally often over an epoch', () => {
    const sampler = new BalancedSampler(labels, new Rng(2));
    const epoch = sampler.epoch();
    assert.equal(epoch.length, labels.length);
    const counts = new Map<Label, number>();
    for (const index of epoch) counts.set(labels[index]!, (counts.get(labels[index]!) ?? 0) + 1);
    for (const label of ['yes', 'no', 'unknown', 'silence'] as const) {
      const share = counts.get(label)! / epoch.length;
      assert.ok(Math.abs(share - 0.25) < 0.03, `${label}: ${share}`);
    }
  });

  it('BalancedSampler follows given class probabilities', () => {
    const sampler = new BalancedSampler(labels, new Rng(3), { yes: 3, no: 1, unknown: 0, silence: 0 }, 8000);
    const epoch = sampler.epoch();
    const yes = epoch.filter((i) => labels[i] === 'yes').length / epoch.length;
    assert.ok(Math.abs(yes - 0.75) < 0.02, `yes share ${yes}`);
    assert.ok(epoch.every((i) => labels[i] === 'yes' || labels[i] === 'no'));
    assert.deepEqual(sampler.probabilities(), { yes: 0.75, no: 0.25, silence: 0, unknown: 0 });
  });

  it('BalancedSampler draws without replacement within a class, cycling evenly through a small class', () => {
    const epoch = new BalancedSampler(labels, new Rng(4)).epoch();
    const unknownDraws = epoch.filter((i) => labels[i] === 'unknown');
    assert.ok(unknownDraws.length > 600 && unknownDraws.length < 2000);
    assert.equal(new Set(unknownDraws).size, unknownDraws.length, 'no unknown clip twice');
    const perSilence = new Map<number, number>();
    for (const i of epoch) if (labels[i] === 'silence') perSilence.set(i, (perSilence.get(i) ?? 0) + 1);
    assert.equal(perSilence.size, 100);
    assert.ok(
      Math.max(...perSilence.values()) - Math.min(...perSilence.values()) <= 1,
      'each silence clip drawn 7 or 8 times',
    );
  });

  it('BalancedSampler rejects empty input and weights that sum to zero', () => {
    assert.throws(() => new BalancedSampler([], new Rng(1)), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => new BalancedSampler(labels, new Rng(1), { go: 1 }), {
      code: 'INVALID_ARGUMENT',
      message: /sum to 0 over the classes present \(yes, no, silence, unknown\)/,
    });
    assert.equal(LABELS.length, 12);
  });
});

describe('Rng seeding', () => {
  it('gives unrelated first draws for small, nearby seeds', () => {
    const first = [0, 1, 2, 3, 4, 5, 6, 7].map((seed) => new Rng(seed).float());
    assert.ok(Math.max(...first) - Math.min(...first) > 0.5, `first draws ${first.map((f) => f.toFixed(3)).join(' ')}`);
    assert.ok(first.filter((f) => f > 0.9).length <= 2, 'not all near 1');
  });
});
