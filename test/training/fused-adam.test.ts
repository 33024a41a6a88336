import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectTfjsBackend } from '../../src/engine/tfjs/index.js';
import { FusedAdamOptimizer } from '../../src/training/tfjs/index.js';

/** Five steps of an optimiser on f(w) = Σ (w ⊙ a - b)², from the same start; returns w. */
function descend(optimizer: tf.Optimizer): Float32Array {
  const w = tf.variable(tf.tensor1d([0.5, -1.5, 2, 0.25, -0.75]));
  const a = tf.tensor1d([1, 2, -3, 0.5, 4]);
  const b = tf.tensor1d([0.3, 0.1, -0.2, 1, 2]);
  for (let i = 0; i < 5; i++) optimizer.minimize(() => tf.sum(tf.square(tf.sub(tf.mul(w, a), b))));
  const out = Float32Array.from(w.dataSync());
  tf.dispose([w, a, b]);
  optimizer.dispose();
  return out;
}

describe('FusedAdamOptimizer', () => {
  it('takes the same steps as tf.train.adam to float32 rounding (2e-5 after five steps; TF.js keeps βᵗ in float32 variables)', async () => {
    await selectTfjsBackend('cpu');
    const fused = descend(new FusedAdamOptimizer(0.1));
    const reference = descend(tf.train.adam(0.1));
    fused.forEach((v, i) => assert.ok(Math.abs(v - reference[i]!) < 2e-5, `w[${i}]: ${v} against ${reference[i]}`));
    // Five steps of 0.1 moved every weight (Adam's first steps are about the learning rate each).
    assert.ok(Math.abs(fused[0]! - 0.5) > 0.2, `w[0] moved to ${fused[0]}`);
  });

  it('takes the first step exactly: w - α · g / (|g| + ε) with bias correction', async () => {
    await selectTfjsBackend('cpu');
    const w = tf.variable(tf.tensor1d([1, -2]));
    const optimizer = new FusedAdamOptimizer(0.5);
    // f = 3w₀ - 4w₁: g = (3, -4); m̂ = g, v̂ = g², so the step is -α · sign(g) (ε aside).
    optimizer.minimize(() => tf.sum(tf.mul(w, tf.tensor1d([3, -4]))));
    const [w0, w1] = w.dataSync();
    assert.ok(Math.abs(w0! - 0.5) < 1e-6, `w0 ${w0}`);
    assert.ok(Math.abs(w1! - -1.5) < 1e-6, `w1 ${w1}`);
    assert.equal(optimizer.iterations, 1);
    tf.dispose(w);
  });

  it('refuses a learning rate, β or ε out of range', () => {
    assert.throws(() => new FusedAdamOptimizer(0), { name: 'RangeError', message: 'learningRate must be > 0, got 0' });
    assert.throws(() => new FusedAdamOptimizer(0.1, 1), /beta1 and beta2 must be in \[0, 1\), got 1 and 0.999/);
    assert.throws(() => new FusedAdamOptimizer(0.1, 0.9, 0.999, 0), /epsilon must be > 0, got 0/);
  });
});
