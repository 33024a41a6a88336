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
import { BUNDLED_PRODUCTION, BUNDLED_VERSIONS } from '../helpers/models.js';
import { realDataDir } from '../helpers/signals.js';

/** What each bundled version is (its `version.json`): its architecture, the members of an ensemble, a floor under its validation accuracy. */
const BUNDLED: Record<number, { architecture: string; members?: readonly number[]; accuracyAbove: number }> = {
  1: { architecture: 'tc-resnet8', accuracyAbove: 0.9 },
  2: { architecture: 'tc-resnet8', accuracyAbove: 0.9 },
  3: { architecture: 'tc-resnet14', accuracyAbove: 0.85 },
  // An ensemble's architecture is its first member's; the registry lists it as `ensemble`.
  4: { architecture: 'tc-resnet8', members: [1, 2, 3], accuracyAbove: 0.9 },
};

describe('the bundled model repository (models/)', () => {
  it('bundles versions 1 to 4, each described below, and serves version 4, the ensemble of 1, 2 and 3', () => {
    assert.deepEqual(BUNDLED_VERSIONS, [1, 2, 3, 4]);
    assert.deepEqual(Object.keys(BUNDLED).map(Number), [...BUNDLED_VERSIONS]);
    assert.equal(BUNDLED_PRODUCTION, 4);
    const registry = ModelRegistry.open(BUNDLED_MODELS_DIR, { inMemoryIndex: true });
    try {
      assert.deepEqual(registry.aliases(), { production: 4 });
      assert.deepEqual(
        registry.list().map((v) => [v.version, v.state, v.architecture]),
        [
          [4, 'ready', 'ensemble'],
          [3, 'ready', 'tc-resnet14'],
          [2, 'ready', 'tc-resnet8'],
          [1, 'ready', 'tc-resnet8'],
        ],
      );
    } finally {
      registry.close();
    }
  });
});

for (const version of BUNDLED_VERSIONS) {
  const expected = BUNDLED[version]!;
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

    it('has its number, the 12 labels and the default feature config; version 4 is production', () => {
      assert.equal(loaded.manifest.version, version);
      assert.equal(registry.resolve().version, 4);
      assert.deepEqual(loaded.manifest.labels, [...LABELS]);
      assert.deepEqual(loaded.extractor.shape, { frames: 98, bins: 40 });
      assert.equal(loaded.manifest.architecture, expected.architecture);
      assert.ok(
        loaded.manifest.metrics.validation.accuracy > expected.accuracyAbove,
        `validation accuracy ${loaded.manifest.metrics.validation.accuracy}`,
      );
      assert.deepEqual(loaded.manifest.ensemble?.members, expected.members);
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

    if (expected.members !== undefined) {
      const members = expected.members;
      it(`is one graph (TF.js and ONNX) whose logits are the weighted sum of versions ${members.join(', ')}'s at their temperatures`, async () => {
        const ensemble = loaded.manifest.ensemble!;
        assert.equal(ensemble.form, 'graph');
        assert.equal(ensemble.combine, 'mean-logit');
        assert.equal(loaded.manifest.architecture, registry.manifest(members[0]!).architecture);
        assert.ok(Math.abs(ensemble.weights.reduce((a, w) => a + w, 0) - 1) < 1e-12);
        // Each member's temperature is the one it was calibrated to (1 without a calibrated temperature).
        assert.deepEqual(
          ensemble.memberTemperatures,
          members.map((m) => registry.manifest(m).calibration.temperature ?? 1),
        );
        const features = loaded.extractor.computeBatch(
          await Promise.all(clips.map(async (f) => fitToLength((await decodeAudio(readFileSync(f))).samples, 16_000))),
        );
        const run = (model: LoadedVersion): Float32Array =>
          tf.tidy(
            () => (model.model!.predict(tf.tensor4d(features, [3, 98, 40, 1])) as tf.Tensor).dataSync() as Float32Array,
          );
        const memberProbs: Float32Array[] = [];
        for (const m of members) {
          const member = await loadVersion(registry, m);
          try {
            memberProbs.push(run(member));
          } finally {
            await member.dispose();
          }
        }
        // softmax(Σ w_k z_k / T_k) = softmax(Σ w_k log softmax(z_k) / T_k): the log-sum-exps only shift each row.
        const combined = tf.tidy(() => {
          const logits = memberProbs
            .map((p, k) =>
              tf.mul(
                tf.log(tf.tensor2d(p, [3, LABELS.length])),
                ensemble.weights[k]! / ensemble.memberTemperatures[k]!,
              ),
            )
            .reduce((a, b) => tf.add(a, b));
          return tf.softmax(logits).dataSync() as Float32Array;
        });
        const got = run(loaded);
        assert.ok(Math.max(...Array.from(got, (v, i) => Math.abs(v - combined[i]!))) < 1e-4);
      });
    }
  });
}
