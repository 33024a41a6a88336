import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectTfjsBackend } from '../../src/engine/tfjs/index.js';
import { ARCHITECTURES } from '../../src/model/index.js';
import { buildModel } from '../../src/model/tfjs/index.js';

const shape = { frames: 98, bins: 40 };

describe('model architectures', () => {
  before(async () => {
    await selectTfjsBackend('wasm');
  });

  it('TC-ResNet8 and TC-ResNet14 have the parameter counts of Choi et al. 2019 (66K and 137K) within 2 %', () => {
    const counts = { 'tc-resnet8': 66_000, 'tc-resnet14': 137_000 } as const;
    for (const [name, expected] of Object.entries(counts) as Array<[keyof typeof counts, number]>) {
      const model = buildModel(name, shape);
      assert.ok(Math.abs(model.countParams() / expected - 1) < 0.02, `${name}: ${model.countParams()} parameters`);
      model.dispose();
    }
  });

  it('MatchboxNet-3x1x64 has the parameter count of Majumdar and Ginsburg 2020 (77K on 64 MFCCs, 30 classes) within 3 %', () => {
    const model = buildModel('matchboxnet-3x1x64', { frames: 98, bins: 64 }, 30);
    assert.ok(Math.abs(model.countParams() / 77_000 - 1) < 0.03, `${model.countParams()} parameters`);
    model.dispose();
    // On this project's 40 log-mel bins and 12 labels.
    const ours = buildModel('matchboxnet-3x1x64', shape);
    assert.equal(ours.countParams(), 73_092);
    assert.equal(ours.layers.filter((l) => l.getClassName() === 'DepthwiseConv2D').length, 5);
    ours.dispose();
  });

  for (const name of ARCHITECTURES) {
    it(`${name} maps [batch, 98, 40, 1] features to 12 probabilities that sum to 1`, async () => {
      const model = buildModel(name, shape);
      const x = tf.randomNormal([3, 98, 40, 1], 0, 1, 'float32', 3);
      const y = model.predict(x) as tf.Tensor;
      assert.deepEqual(y.shape, [3, 12]);
      const rows = (await y.array()) as number[][];
      for (const row of rows) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      tf.dispose([x, y]);
      model.dispose();
    });
  }

  it('starts from the same weights for the same seed and different ones for another', async () => {
    const weights = async (seed: number): Promise<Float32Array> => {
      const model = buildModel('tc-resnet8', shape, 12, { seed });
      const values = (await model.getWeights()[0]!.data()) as Float32Array;
      model.dispose();
      return values;
    };
    assert.deepEqual(await weights(4), await weights(4));
    assert.notDeepEqual(await weights(4), await weights(5));
  });

  for (const name of ['tc-resnet8', 'matchboxnet-3x1x64'] as const)
    it(`${name} learns a separable toy task on the wasm backend: training loss falls`, async () => {
      const model = buildModel(name, { frames: 20, bins: 8 }, 2, { seed: 2, dropout: 0 });
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
      // Class 0: energy in the low bins, class 1: in the high bins.
      const n = 32;
      const features = tf.tidy(() => {
        const noise = tf.randomNormal([n, 20, 8, 1], 0, 0.1, 'float32', 7);
        const mask = tf.concat([tf.ones([n / 2, 20, 4, 1]), tf.zeros([n / 2, 20, 4, 1])], 2);
        const flipped = tf.reverse(mask, 2);
        return tf.add(noise, tf.concat([mask, flipped], 0));
      });
      const labels = tf.oneHot(
        tf.tensor1d([...Array<number>(n / 2).fill(0), ...Array<number>(n / 2).fill(1)], 'int32'),
        2,
      );
      const history = await model.fit(features, labels, { epochs: 8, batchSize: 16, shuffle: false, verbose: 0 });
      const losses = history.history['loss'] as number[];
      assert.ok(losses.at(-1)! < losses[0]! * 0.5, `loss ${losses[0]} -> ${losses.at(-1)}`);
      tf.dispose([features, labels]);
      model.dispose();
    });

  it('rejects an unknown architecture and out-of-range options', () => {
    assert.throws(() => buildModel('resnet50' as never, shape), {
      code: 'INVALID_ARGUMENT',
      message: /unknown architecture "resnet50"; choose one of lenet, tc-resnet8/,
    });
    assert.throws(() => buildModel('lenet', shape, 12, { dropout: 1 }), {
      code: 'INVALID_ARGUMENT',
      message: 'dropout must be in [0, 1), got 1',
    });
  });
});
