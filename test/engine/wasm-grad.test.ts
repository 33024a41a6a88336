import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectTfjsBackend } from '../../src/engine/tfjs/index.js';

/** Filter gradient of sum(conv2d(x, w)²) on the active backend, as plain numbers. */
async function filterGradient(
  xShape: [number, number, number, number],
  wShape: [number, number, number, number],
  strides: [number, number],
  pad: 'same' | 'valid',
): Promise<Float32Array> {
  const x = tf.randomNormal(xShape, 0, 1, 'float32', 11) as tf.Tensor4D;
  const w = tf.randomNormal(wShape, 0, 1, 'float32', 12);
  const gradient = tf.grad((filter: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, filter as tf.Tensor4D, strides, pad))))(
    w,
  );
  const values = (await gradient.data()) as Float32Array;
  tf.dispose([x, w, gradient]);
  return values;
}

describe('Conv2D filter gradient on the wasm backend', () => {
  const cases: Array<{
    x: [number, number, number, number];
    w: [number, number, number, number];
    strides: [number, number];
    pad: 'same' | 'valid';
  }> = [
    { x: [2, 9, 7, 3], w: [3, 2, 3, 4], strides: [2, 1], pad: 'same' },
    { x: [3, 12, 1, 5], w: [9, 1, 5, 6], strides: [2, 1], pad: 'same' },
    { x: [2, 10, 8, 2], w: [5, 5, 2, 3], strides: [1, 1], pad: 'valid' },
    { x: [1, 11, 9, 4], w: [1, 1, 4, 2], strides: [2, 2], pad: 'same' },
  ];
  for (const c of cases) {
    it(`matches the cpu backend to 1e-4 (relative) for x ${c.x.join('x')}, w ${c.w.join('x')}, strides ${c.strides.join('x')}, ${c.pad}`, async () => {
      assert.equal((await selectTfjsBackend('wasm')).backend, 'wasm');
      const wasm = await filterGradient(c.x, c.w, c.strides, c.pad);
      await selectTfjsBackend('cpu');
      const cpu = await filterGradient(c.x, c.w, c.strides, c.pad);
      assert.equal(wasm.length, cpu.length);
      const scale = Math.max(...cpu.map(Math.abs));
      const worst = Math.max(...wasm.map((v, i) => Math.abs(v - cpu[i]!)));
      assert.ok(worst <= 1e-4 * scale, `max difference ${worst} against max |gradient| ${scale}`);
    });
  }

  it('leaks no tensors', async () => {
    await selectTfjsBackend('wasm');
    await filterGradient([2, 9, 7, 3], [3, 2, 3, 4], [1, 1], 'same');
    const before = tf.memory().numTensors;
    await filterGradient([2, 9, 7, 3], [3, 2, 3, 4], [1, 1], 'same');
    assert.equal(tf.memory().numTensors, before);
  });
});
