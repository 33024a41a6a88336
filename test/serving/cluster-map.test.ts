import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { projectToPlane } from '../../src/engine/index.js';
import { evenSample } from '../../src/serving/index.js';

describe('evenSample', () => {
  it('takes every k-th item of the sorted names, whatever order they came in', () => {
    const names = ['e', 'a', 'j', 'c', 'h', 'b', 'g', 'd', 'i', 'f'];
    assert.deepEqual(
      evenSample(names, 4, (n) => n),
      ['a', 'c', 'f', 'h'],
    );
    assert.deepEqual(
      evenSample(names.slice(0, 3), 5, (n) => n),
      ['a', 'e', 'j'],
    );
  });
});

describe('projectToPlane', () => {
  it('puts points on a line along the first axis, which explains all the variance', () => {
    // Three points on the line y = 2x in 2-D, centred at (1, 2).
    const { x, y, explained } = projectToPlane(new Float32Array([0, 0, 1, 2, 2, 4]), 3, 2);
    const spread = Math.sqrt(5);
    assert.deepEqual(
      Array.from(x, (v) => Math.abs(v).toFixed(6)),
      [spread, 0, spread].map((v) => v.toFixed(6)),
    );
    assert.ok(Array.from(y).every((v) => Math.abs(v) < 1e-9));
    assert.ok(Math.abs(explained[0] - 1) < 1e-9 && Math.abs(explained[1]) < 1e-9);
    assert.ok((x[0] as number) * (x[2] as number) < 0, 'the ends fall on opposite sides of the centre');
  });

  it('gives zeros for fewer than two clips', () => {
    const { x, y, explained } = projectToPlane(new Float32Array([1, 2, 3]), 1, 3);
    assert.deepEqual([Array.from(x), Array.from(y), explained], [[0], [0], [0, 0]]);
  });
});
