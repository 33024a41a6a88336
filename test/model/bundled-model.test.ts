import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { decodeAudio, fitToLength } from '../../src/audio/index.js';
import { LABELS } from '../../src/labels/index.js';
import { classifyFiles } from '../../src/serving/index.js';
import { loadVersion } from '../../src/training/tfjs/index.js';
import type { LoadedVersion } from '../../src/training/tfjs/index.js';
import { BUNDLED_MODELS_DIR, ModelRegistry } from '../../src/registry/index.js';
import { realDataDir } from '../helpers/signals.js';

for (const version of [1, 2]) {
  describe(`the bundled model version ${version} (models/${version})`, () => {
    const registry = ModelRegistry.open(BUNDLED_MODELS_DIR, { inMemoryIndex: true });
    const clips = ['yes_1000ms.wav', 'no_1000ms.wav', 'silence_1000ms.wav'].map((f) =>
      join(realDataDir(), 'tflite-micro/testdata', f),
    );
    let loaded: LoadedVersion;

    before(async () => {
      loaded = await loadVersion(registry, version);
    });
    after(async () => {
      await loaded.dispose();
      registry.close();
    });

    it('has its number, the 12 labels and the default feature config; version 1 is production', () => {
      assert.equal(loaded.manifest.version, version);
      assert.equal(registry.resolve().version, 1);
      assert.deepEqual(loaded.manifest.labels, [...LABELS]);
      assert.deepEqual(loaded.extractor.shape, { frames: 98, bins: 40 });
      assert.equal(loaded.manifest.architecture, 'tc-resnet8');
      assert.ok(loaded.manifest.metrics.validation.accuracy > 0.9);
    });

    it('hears "yes", "no" and silence in real clips it never trained on (tflite-micro fixtures)', async () => {
      const results = await classifyFiles(clips, loaded);
      assert.deepEqual(
        results.map((r) => (r.ok ? r.label : r.code)),
        ['yes', 'no', 'silence'],
      );
    });

    it('model.onnx agrees with the TF.js model within 1e-4 on those clips', async () => {
      const features = loaded.extractor.computeBatch(
        await Promise.all(clips.map(async (f) => fitToLength((await decodeAudio(readFileSync(f))).samples, 16_000))),
      );
      const session = await ort.InferenceSession.create(join(registry.resolve(version).dir, 'model.onnx'));
      const onnx = (await session.run({ features: new ort.Tensor('float32', features, [3, 98, 40, 1]) }))[
        'probabilities'
      ]!.data as Float32Array;
      const tfjs = tf.tidy(() =>
        (loaded.model!.predict(tf.tensor4d(features, [3, 98, 40, 1])) as tf.Tensor).dataSync(),
      );
      assert.ok(Math.max(...Array.from(tfjs, (v, i) => Math.abs(v - onnx[i]!))) < 1e-4);
    });
  });
}
