import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../src/data/index.js';
import { sampleRandom, suggestTpe, validateSearchSpace } from '../../src/training/index.js';
import type { Observation, SearchSpace } from '../../src/training/index.js';

const space: SearchSpace = {
  x: { kind: 'float', min: 0, max: 1 },
  rate: { kind: 'float', min: 1e-4, max: 1e-1, log: true },
  arch: { kind: 'choice', values: ['a', 'b', 'c'] },
};
/** A noiseless objective with its optimum at x = 0.7, rate = 1e-2, arch = b. */
const objective = (p: Record<string, string | number>): number =>
  -(((p['x'] as number) - 0.7) ** 2) - (Math.log10(p['rate'] as number) + 2) ** 2 / 9 - (p['arch'] === 'b' ? 0 : 0.3);

function run(strategy: 'random' | 'tpe', trials: number, seed: number): Observation[] {
  const rng = new Rng(seed);
  const history: Observation[] = [];
  for (let t = 0; t < trials; t++) {
    const parameters = strategy === 'tpe' ? suggestTpe(space, history, rng) : sampleRandom(space, rng);
    history.push({ parameters, metric: objective(parameters) });
  }
  return history;
}

describe('hyperparameter search', () => {
  it('samples inside the space, log-uniform for log ranges', () => {
    const rng = new Rng(1);
    const samples = Array.from({ length: 2000 }, () => sampleRandom(space, rng));
    assert.ok(
      samples.every(
        (s) =>
          (s['x'] as number) >= 0 &&
          (s['x'] as number) < 1 &&
          (s['rate'] as number) >= 1e-4 &&
          (s['rate'] as number) <= 1e-1 &&
          ['a', 'b', 'c'].includes(s['arch'] as string),
      ),
    );
    const belowMilli = samples.filter((s) => (s['rate'] as number) < 1e-3).length / samples.length;
    assert.ok(Math.abs(belowMilli - 1 / 3) < 0.05, `a third of a log range lies below 1e-3, got ${belowMilli}`);
  });

  it('TPE concentrates its later suggestions near the optimum, unlike random search', () => {
    const meanDistance = (history: Observation[]): number =>
      history.slice(-15).reduce((s, o) => s + Math.abs((o.parameters['x'] as number) - 0.7), 0) / 15;
    const meanArchB = (history: Observation[]): number =>
      history.slice(-15).filter((o) => o.parameters['arch'] === 'b').length / 15;
    for (const seed of [1, 2, 3]) {
      const tpe = run('tpe', 40, seed);
      const random = run('random', 40, seed);
      assert.ok(
        meanDistance(tpe) < meanDistance(random),
        `seed ${seed}: TPE ${meanDistance(tpe)} vs random ${meanDistance(random)}`,
      );
      assert.ok(meanArchB(tpe) > 0.5, `seed ${seed}: TPE picked b in ${meanArchB(tpe)} of its last trials`);
    }
  });

  it('is reproducible for a seed and random before its start-up trials', () => {
    assert.deepEqual(run('tpe', 12, 5), run('tpe', 12, 5));
    assert.deepEqual(
      run('tpe', 3, 9).map((o) => o.parameters),
      run('random', 3, 9).map((o) => o.parameters),
    );
  });

  it('refuses empty spaces and bad ranges with the values in the message', () => {
    assert.throws(() => validateSearchSpace({}), {
      code: 'INVALID_ARGUMENT',
      message: 'the search space has no parameters',
    });
    assert.throws(() => validateSearchSpace({ lr: { kind: 'float', min: 0, max: 1, log: true } }), {
      message: 'search parameter lr needs min < max and min > 0 (log scale), got [0, 1]',
    });
    assert.throws(() => validateSearchSpace({ a: { kind: 'choice', values: [] } }), {
      message: 'search parameter a has no choices',
    });
  });
});
