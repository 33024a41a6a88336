import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { selectTfjsBackend } from '../../src/engine/tfjs/index.js';
import { buildModel } from '../../src/model/tfjs/index.js';
import type { Architecture } from '../../src/model/index.js';
import {
  DataParallelSteps,
  FusedAdamOptimizer,
  GradientCapture,
  LocalReplica,
  shardSizes,
  ThreadReplica,
} from '../../src/training/tfjs/index.js';
import type { GradientReplica, ReplicaInit } from '../../src/training/tfjs/index.js';
import { threadCount, threadsSettleTo } from '../helpers/threads.js';

const FRAMES = 20;
const BINS = 16;
const CLIP = FRAMES * BINS;
const OPTIONS = { learningRate: 0.01, outlierExposure: 0, frames: FRAMES, bins: BINS } as const;

/** A batch of `rows` seeded random features and one-hot targets. */
function batch(rows: number, seed: number): { features: Float32Array; targets: Float32Array } {
  return tf.tidy(() => ({
    features: tf.randomNormal([rows * CLIP], 0, 1, 'float32', seed).dataSync() as Float32Array,
    targets: tf
      .cast(tf.oneHot(tf.randomUniform([rows], 0, 12, 'int32', seed + 1), 12), 'float32')
      .dataSync() as Float32Array,
  }));
}

function model(architecture: Architecture, dropout = 0): tfl.LayersModel {
  return buildModel(architecture, { frames: FRAMES, bins: BINS }, 12, { seed: 7, dropout });
}

/** What a worker thread's replica of `m` computing shard 1 is built from. */
function initOf(m: tfl.LayersModel): ReplicaInit {
  return {
    ...OPTIONS,
    shard: 1,
    topology: m.toJSON(null, false) as ReplicaInit['topology'],
    weights: m.getWeights().map((w) => Float32Array.from(w.dataSync())),
    backend: 'wasm',
  };
}

function weightsOf(m: tfl.LayersModel): Float32Array[] {
  return m.getWeights().map((w) => Float32Array.from(w.dataSync()));
}

function maxDifference(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  assert.equal(a.length, b.length);
  let most = 0;
  a.forEach((x, i) => x.forEach((v, j) => (most = Math.max(most, Math.abs(v - b[i]![j]!)))));
  return most;
}

/** [rows, seed] of the batches of {@link train}: with 2 replicas, shards 5 + 5, 4 + 3, 1 + 0 and 5 + 5. */
const STEPS = [
  [10, 1],
  [7, 3],
  [1, 5],
  [10, 7],
] as const;

/** Steps on the batches of {@link STEPS}, then a sync; returns each step's loss. */
async function train(steps: DataParallelSteps): Promise<number[]> {
  const losses: number[] = [];
  for (const [rows, seed] of STEPS) {
    const { features, targets } = batch(rows, seed);
    losses.push((await steps.step(features, targets, rows))[0]);
  }
  steps.sync();
  return losses;
}

describe('data-parallel training steps', () => {
  it('cuts a batch into shards that differ by at most one row', () => {
    assert.deepEqual(shardSizes(64, 2), [32, 32]);
    assert.deepEqual(shardSizes(7, 3), [3, 2, 2]);
    assert.deepEqual(shardSizes(1, 2), [1, 0]);
  });

  it('with one replica, steps exactly as trainOnBatch with Adam does', async () => {
    await selectTfjsBackend('wasm');
    const reference = model('tc-resnet8');
    reference.compile({
      optimizer: new FusedAdamOptimizer(OPTIONS.learningRate),
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const expectedLosses: number[] = [];
    for (const [rows, seed] of STEPS) {
      const { features, targets } = batch(rows, seed);
      const x = tf.tensor4d(features, [rows, FRAMES, BINS, 1]);
      const y = tf.tensor2d(targets, [rows, 12]);
      expectedLosses.push(((await reference.trainOnBatch(x, y)) as number[])[0]!);
      tf.dispose([x, y]);
    }
    const single = model('tc-resnet8');
    const steps = new DataParallelSteps(new LocalReplica(single, OPTIONS), [], CLIP);
    const losses = await train(steps);
    assert.deepEqual(losses, expectedLosses);
    assert.equal(maxDifference(weightsOf(single), weightsOf(reference)), 0);
    // Training moved the weights.
    assert.ok(maxDifference(weightsOf(single), weightsOf(model('tc-resnet8'))) > 0.01);
    await steps.close();
    tf.dispose([reference, single].flatMap((m) => m.getWeights()));
  });

  it('averages the shards’ gradients, weighted by rows, into the gradient of the whole batch (a model without batch norm)', async () => {
    await selectTfjsBackend('wasm');
    const rows = 7; // shards of 4 and 3 rows
    const { features, targets } = batch(rows, 11);
    const reference = model('lenet');
    const capture = new GradientCapture();
    reference.compile({ optimizer: capture, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const x = tf.tensor4d(features, [rows, FRAMES, BINS, 1]);
    const y = tf.tensor2d(targets, [rows, 12]);
    const [wholeLoss] = (await reference.trainOnBatch(x, y)) as number[];
    tf.dispose([x, y]);
    const whole = capture.flatGradients(reference);
    const steps = new DataParallelSteps(
      new LocalReplica(model('lenet'), OPTIONS),
      [new LocalReplica(model('lenet'), OPTIONS)],
      CLIP,
    );
    const [loss] = await steps.step(features, targets, rows);
    const averaged = steps.lastGradient;
    assert.ok(averaged !== null);
    let most = 0;
    let largest = 0;
    whole.forEach((g, i) => {
      most = Math.max(most, Math.abs(averaged[i]! - g));
      largest = Math.max(largest, Math.abs(g));
    });
    assert.ok(largest > 0.01, `the gradient is not trivial (${largest})`);
    assert.ok(most < 1e-5 * largest, `the averaged gradient differs from the batch's by ${most} (largest ${largest})`);
    assert.ok(Math.abs(loss - wholeLoss!) < 1e-5, `loss ${loss} against ${wholeLoss}`);
    await steps.close();
  });

  it('gives the same weights with a replica on a worker thread as with that replica in this thread, dropout included', async () => {
    await selectTfjsBackend('wasm');
    const start = model('tc-resnet8', 0.5);
    const init = initOf(start);
    const inThread = new DataParallelSteps(
      new LocalReplica(model('tc-resnet8', 0.5), OPTIONS),
      [new LocalReplica(model('tc-resnet8', 0.5), OPTIONS, 1)],
      CLIP,
    );
    const main = model('tc-resnet8', 0.5);
    const threaded = new DataParallelSteps(
      new LocalReplica(main, OPTIONS),
      [new ThreadReplica(init, 'training thread 2')],
      CLIP,
    );
    const expected = await train(inThread);
    const losses = await train(threaded);
    losses.forEach((loss, i) =>
      assert.ok(Math.abs(loss - expected[i]!) < 1e-6, `step ${i}: ${loss} against ${expected[i]}`),
    );
    const reference = (inThread as unknown as { main: LocalReplica }).main.model;
    assert.ok(maxDifference(weightsOf(main), weightsOf(reference)) < 1e-6);
    // Batch norm made the two-shard run differ from one replica on the whole batch.
    const single = new DataParallelSteps(new LocalReplica(model('tc-resnet8', 0.5), OPTIONS), [], CLIP);
    await train(single);
    const singleModel = (single as unknown as { main: LocalReplica }).main.model;
    assert.ok(maxDifference(weightsOf(main), weightsOf(singleModel)) > 1e-4);
    await Promise.all([inThread.close(), threaded.close(), single.close()]);
  });

  it('leaks no tensors on this thread, and fails a bad step on a worker thread with its error, named, and every step after it', async () => {
    await selectTfjsBackend('wasm');
    const m = model('tc-resnet8');
    const steps = new DataParallelSteps(
      new LocalReplica(m, OPTIONS),
      [new ThreadReplica(initOf(m), 'training thread 2')],
      CLIP,
    );
    const { features, targets } = batch(8, 2);
    await steps.step(features, targets, 8);
    const before = tf.memory().numTensors;
    await steps.step(features, targets, 8);
    steps.sync();
    assert.equal(tf.memory().numTensors, before);
    // 8 rows declared, 6 clips of features: this thread's shard (rows 1 to 4) is whole, the worker's
    // (rows 5 to 8) has 2 clips of features and cannot be shaped.
    let first: Error | undefined;
    try {
      await assert.rejects(steps.step(features.slice(0, 6 * CLIP), targets, 8), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'INTERNAL');
        assert.match(error.message, /^training thread 2: .*shape/);
        first = error;
        return true;
      });
      await assert.rejects(steps.step(features, targets, 8), (error: Error) => error === first);
    } finally {
      await steps.close();
    }
  });

  it('fails a step with the thread’s error, named, when a replica cannot build its model, and stops the thread', async () => {
    await selectTfjsBackend('wasm');
    const before = threadCount();
    const m = model('tc-resnet8');
    const broken: GradientReplica = new ThreadReplica(
      { ...initOf(m), weights: [new Float32Array(3)] },
      'training thread 2',
    );
    const steps = new DataParallelSteps(new LocalReplica(m, OPTIONS), [broken], CLIP);
    const { features, targets } = batch(4, 1);
    await assert.rejects(steps.step(features, targets, 4), (error: Error & { code?: string }) => {
      assert.equal(error.name, 'KwsError');
      assert.equal(error.code, 'INTERNAL');
      assert.match(error.message, /^training thread 2: the replica.s model has \d+ weights and was given 1$/);
      return true;
    });
    await steps.close();
    await assert.rejects(
      broken.step({ update: null, rows: 0, features: new Float32Array(0), targets: new Float32Array(0) }),
      {
        message: 'training thread 2 closed',
      },
    );
    await threadsSettleTo(before);
  });
});
