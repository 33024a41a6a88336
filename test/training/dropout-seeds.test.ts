import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectTfjsBackend } from '../../src/engine/tfjs/index.js';
import { DropoutSeeds } from '../../src/training/tfjs/dropout-seeds.js';

/** A model of one seeded dropout layer over 64 inputs. */
function dropoutModel(): tfl.LayersModel {
  return tfl.sequential({ layers: [tfl.layers.dropout({ inputShape: [64], rate: 0.5, seed: 11 })] });
}

/** The kept units (1) and dropped ones (0) of one training-mode pass of `model` over ones. */
function mask(model: tfl.LayersModel): number[] {
  return tf.tidy(() => {
    const out = model.layers[0]!.apply(tf.ones([1, 64]), { training: true }) as tf.Tensor;
    return Array.from(out.dataSync(), (v) => (v > 0 ? 1 : 0));
  });
}

async function masks(seeds: DropoutSeeds, model: tfl.LayersModel, steps: number): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < steps; i++) out.push(await seeds.step(async () => mask(model)));
  return out;
}

describe('dropout seeds per training step', () => {
  it('TF.js draws the same mask on every call of a seeded dropout layer', async () => {
    await selectTfjsBackend('wasm');
    const model = dropoutModel();
    assert.deepEqual(mask(model), mask(model));
  });

  it('draws a new mask every step, the same sequence for the same seed, another for another shard, and keeps the configured seed', async () => {
    await selectTfjsBackend('wasm');
    const model = dropoutModel();
    const first = await masks(new DropoutSeeds(model), model, 3);
    assert.notDeepEqual(first[0], first[1]);
    assert.notDeepEqual(first[1], first[2]);
    for (const m of first) {
      const kept = m.reduce((a, b) => a + b, 0);
      assert.ok(kept > 16 && kept < 48, `${kept} of 64 units kept at rate 0.5`);
    }
    const again = dropoutModel();
    assert.deepEqual(await masks(new DropoutSeeds(again), again, 3), first);
    const shard = dropoutModel();
    assert.notDeepEqual((await masks(new DropoutSeeds(shard, 1), shard, 1))[0], first[0]);
    assert.equal(model.layers[0]!.getConfig()['seed'], 11);
  });
});
