import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { decodeAudio, fitToLength } from '../../src/audio/index.js';
import { selectTfjsBackend, withLogits } from '../../src/engine/tfjs/index.js';
import { FeatureExtractor } from '../../src/features/index.js';
import { ARCHITECTURES } from '../../src/model/index.js';
import { buildModel } from '../../src/model/tfjs/index.js';
import { exportOnnx } from '../../src/engine/tfjs/index.js';
import { realDataDir } from '../helpers/signals.js';

/** Features of six real clips, `[6, 98, 40, 1]`. */
async function realFeatures(): Promise<Float32Array> {
  const dir = join(realDataDir(), 'pico-testset-v0.02');
  const files = ['yes', 'no', 'stop', 'go', '_silence_', '_unknown_'].map((word) => {
    const folder = join(dir, word);
    return join(folder, firstFile(folder));
  });
  const clips = await Promise.all(
    files.map(async (f) => fitToLength((await decodeAudio(readFileSync(f))).samples, 16_000)),
  );
  return new FeatureExtractor().computeBatch(clips);
}

function firstFile(folder: string): string {
  return readdirSync(folder).sort()[0] as string;
}

describe('ONNX export', () => {
  let features: Float32Array;
  before(async () => {
    await selectTfjsBackend('wasm');
    features = await realFeatures();
  });

  for (const architecture of ARCHITECTURES) {
    it(`${architecture}: onnxruntime-node and TF.js agree within 1e-4 on real clips`, async () => {
      const model = buildModel(architecture, { frames: 98, bins: 40 }, 12, { seed: 4 });
      // Non-trivial batch-norm statistics, as a trained model has.
      const names = model.weights.map((w) => w.name);
      assert.ok(architecture === 'lenet' || names.some((n) => n.includes('moving_variance')));
      model.setWeights(
        model
          .getWeights()
          .map((w, i) =>
            names[i]!.includes('moving_variance')
              ? tf.add(w, 0.5 + (i % 3) * 0.25)
              : names[i]!.includes('moving_mean')
                ? tf.add(w, 0.1 * (i % 5))
                : w,
          ),
      );
      const session = await ort.InferenceSession.create(exportOnnx(model));
      const input = new ort.Tensor('float32', features, [6, 98, 40, 1]);
      assert.deepEqual(session.outputNames, ['probabilities', 'logits']);
      const result = await session.run({ features: input });
      const onnxOut = result['probabilities']!.data as Float32Array;
      const onnxLogits = result['logits']!.data as Float32Array;
      const [tfOut, tfLogits] = tf.tidy(() =>
        (withLogits(model).predict(tf.tensor4d(features, [6, 98, 40, 1])) as tf.Tensor[]).map((t) => t.dataSync()),
      );
      assert.equal(onnxOut.length, 72);
      const worst = Math.max(...Array.from(tfOut!, (v, i) => Math.abs(v - onnxOut[i]!)));
      assert.ok(worst < 1e-4, `max difference ${worst}`);
      const worstLogit = Math.max(...Array.from(tfLogits!, (v, i) => Math.abs(v - onnxLogits[i]!)));
      assert.ok(worstLogit < 1e-3, `max logit difference ${worstLogit}`);
      model.dispose();
    });
  }
});
