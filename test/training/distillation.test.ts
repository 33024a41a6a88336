import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectTfjsBackend } from '../../src/engine/tfjs/index.js';
import { labelIndex, LABELS } from '../../src/labels/index.js';
import { buildModel } from '../../src/model/tfjs/index.js';
import { ModelRegistry } from '../../src/registry/index.js';
import type { VersionManifest } from '../../src/registry/index.js';
import { synthesizeCorpus } from '../../src/synth/index.js';
import {
  distillationTargets,
  importVersion,
  layersTeacher,
  trainModel,
  trainVersion,
} from '../../src/training/tfjs/index.js';
import { kaggleFolder } from '../helpers/kaggle.js';
import { modelRepository } from '../helpers/models.js';
import { tempDir } from '../helpers/signals.js';

/**
 * A teacher that answers softmax(bias) whatever its `[n, frames, bins, 1]` input: a dense layer with
 * zero kernel on the flattened features.
 */
function constantTeacher(frames: number, bins: number, bias: number[]): tfl.LayersModel {
  const model = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [frames, bins, 1] }),
      tfl.layers.dense({ units: LABELS.length, activation: 'softmax' }),
    ],
  });
  model.layers[1]!.setWeights([tf.zeros([frames * bins, LABELS.length]), tf.tensor1d(bias)]);
  return model;
}

describe('distillation targets (Hinton et al. 2015, temperature 1)', () => {
  before(async () => {
    await selectTfjsBackend('cpu');
  });

  // softmax([ln 6, ln 2, 0 x 10]) = [6/18, 2/18, 1/18 x 10]: the teacher's top class is `yes`.
  const bias = LABELS.map((_, i) => (i === 0 ? Math.log(6) : i === 1 ? Math.log(2) : 0));
  const teacherP = LABELS.map((_, i) => (i === 0 ? 6 / 18 : i === 1 ? 2 / 18 : 1 / 18));

  it('mixes the teacher in at λ where its top class is the label, and keeps the one-hot label elsewhere', async () => {
    const teacher = constantTeacher(2, 3, bias);
    const x = tf.zeros([2, 2, 3, 1]) as tf.Tensor4D;
    const labels = [labelIndex('yes'), labelIndex('no')];
    const y = await distillationTargets(labels, x, layersTeacher(teacher, 0.25));
    const rows = y.arraySync();
    // Row 0 (yes, the teacher's answer): 0.75 one-hot + 0.25 p; row 1 (no, the teacher says yes): one-hot.
    const expected0 = teacherP.map((p, i) => 0.25 * p + (i === 0 ? 0.75 : 0));
    rows[0]!.forEach((v, i) =>
      assert.ok(Math.abs(v - expected0[i]!) < 1e-6, `row 0 class ${i}: ${v} vs ${expected0[i]}`),
    );
    assert.deepEqual(
      rows[1],
      LABELS.map((_, i) => (i === labelIndex('no') ? 1 : 0)),
    );
    assert.ok(Math.abs(rows[0]!.reduce((a, b) => a + b, 0) - 1) < 1e-6, 'a distribution');
    assert.ok(Math.abs(rows[0]![0]! - (0.75 + 0.25 / 3)) < 1e-6);
    tf.dispose([x, y]);
    teacher.dispose();
  });

  it('asks the teacher in inference mode (dropout off), and leaves no tensor behind', async () => {
    // Dropout at 0.9 before the output: in training mode the targets would change from call to call.
    const teacher = tfl.sequential({
      layers: [
        tfl.layers.flatten({ inputShape: [2, 3, 1] }),
        tfl.layers.dropout({ rate: 0.9 }),
        tfl.layers.dense({ units: LABELS.length, activation: 'softmax', kernelInitializer: 'ones' }),
      ],
    });
    const x = tf.ones([4, 2, 3, 1]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const labels = [0, 1, 2, 3];
    const first = await distillationTargets(labels, x, layersTeacher(teacher, 1));
    const second = await distillationTargets(labels, x, layersTeacher(teacher, 1));
    assert.deepEqual(first.arraySync(), second.arraySync());
    tf.dispose([first, second]);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(x);
    teacher.dispose();
  });

  it('is the one-hot label without a teacher', async () => {
    const x = tf.zeros([1, 2, 3, 1]) as tf.Tensor4D;
    const y = await distillationTargets([labelIndex('unknown')], x, null);
    assert.deepEqual(y.arraySync(), [LABELS.map((l) => (l === 'unknown' ? 1 : 0))]);
    assert.equal(y.dtype, 'float32');
    tf.dispose([x, y]);
  });
});

describe('training with a teacher (kws train --distill-from)', () => {
  const corpus = join(tempDir('kws-distill-'), 'c');
  const options = {
    epochs: 1,
    batchSize: 16,
    seed: 3,
    dataDir: corpus,
    dataset: { validationPercentage: 25, testingPercentage: 25 },
    allowMissingClasses: true,
  };

  before(async () => {
    await synthesizeCorpus({ outDir: corpus, perWord: 6, words: ['yes', 'no', 'dog'], seed: 5, realNoiseDir: null });
    await selectTfjsBackend('wasm');
  });

  it('changes the loss, trains to finite values and leaks no tensors', async () => {
    const teacher = buildModel('tc-resnet8', { frames: 98, bins: 40 }, 12, { seed: 9 });
    const before = tf.memory().numTensors;
    const plain = await trainModel(options);
    const taught = await trainModel({ ...options, teacherModel: teacher, distillWeight: 1 });
    assert.ok(Number.isFinite(taught.history[0]!.loss) && taught.history[0]!.loss > 0);
    assert.notEqual(taught.history[0]!.loss, plain.history[0]!.loss);
    plain.model.dispose();
    taught.model.dispose();
    assert.equal(tf.memory().numTensors, before, 'the teacher is the caller’s and nothing else is left');
    teacher.dispose();
  });

  it('takes a teacher by its outputs (an onnxruntime session) as it takes a TF.js model: the same targets, the same loss', async () => {
    const teacher = buildModel('tc-resnet8', { frames: 98, bins: 40 }, 12, { seed: 9 });
    const asModel = await trainModel({ ...options, teacherModel: teacher, distillWeight: 1 });
    let calls = 0;
    const asOutputs = await trainModel({
      ...options,
      distillWeight: 1,
      teacherPredictor: (features, batch) => {
        calls++;
        const probabilities = tf.tidy(
          () => (teacher.predict(tf.tensor4d(features, [batch, 98, 40, 1])) as tf.Tensor).dataSync() as Float32Array,
        );
        return { probabilities, energy: new Float32Array(batch), logits: null };
      },
    });
    assert.ok(calls > 1, 'asked once to probe, then per batch');
    assert.ok(Math.abs(asOutputs.history[0]!.loss - asModel.history[0]!.loss) < 1e-4);
    const wrong = trainModel({
      ...options,
      teacherPredictor: (_features, batch) => ({
        probabilities: new Float32Array(batch * 10),
        energy: new Float32Array(batch),
        logits: null,
      }),
    });
    await assert.rejects(wrong, {
      code: 'INVALID_ARGUMENT',
      message:
        'the teacher takes [batch, 98, 40, 1] and answers [batch, 10]; distillation needs [batch, 98, 40, 1] features and 12 classes',
    });
    for (const r of [asModel, asOutputs]) r.model.dispose();
    teacher.dispose();
  });

  it('refuses a teacher over other features, or with fineTuneOnly', async () => {
    const teacher = constantTeacher(98, 13, new Array<number>(12).fill(0));
    await assert.rejects(trainModel({ ...options, teacherModel: teacher }), {
      code: 'INVALID_ARGUMENT',
      message:
        'the teacher takes [batch, 98, 13, 1] and answers [batch, 12]; distillation needs [batch, 98, 40, 1] features and 12 classes',
    });
    const base = buildModel('tc-resnet8', { frames: 98, bins: 40 }, 12, { seed: 9 });
    const same = buildModel('tc-resnet8', { frames: 98, bins: 40 }, 12, { seed: 9 });
    await assert.rejects(trainModel({ ...options, initialModel: base, fineTuneOnly: true, teacherModel: same }), {
      code: 'INVALID_ARGUMENT',
      message: 'distillation trains the whole model: it cannot be combined with fineTuneOnly',
    });
    for (const model of [teacher, base, same]) model.dispose();
  });

  describe('trainVersion', () => {
    const models = modelRepository(1);
    let registry: ModelRegistry;
    before(() => {
      registry = ModelRegistry.open(models);
    });
    after(() => registry.close());

    it('records the teacher and its weight in version.json', async () => {
      const made = await trainVersion(registry, { ...options, baseVersion: 1, distillFrom: 1, distillWeight: 0.3 });
      const manifest = JSON.parse(
        readFileSync(join(models, String(made.record.version), 'version.json'), 'utf8'),
      ) as VersionManifest;
      assert.equal(manifest.training.options['distillFrom'], 1);
      assert.equal(manifest.training.options['distillWeight'], 0.3);
      const plain = await trainVersion(registry, { ...options, distillFrom: 1 });
      const recorded = JSON.parse(
        readFileSync(join(models, String(plain.record.version), 'version.json'), 'utf8'),
      ) as VersionManifest;
      assert.equal(recorded.training.options['distillWeight'], 0.5, 'the default weight is recorded');
    });

    it('distils from a model imported from ONNX (run by onnxruntime on each batch)', async () => {
      const fixture = join(import.meta.dirname, '..', 'fixtures', 'pytorch-kws');
      const imported = await importVersion(registry, {
        file: join(fixture, 'model.onnx'),
        features: { type: 'log-mel' },
        labels: readFileSync(join(fixture, 'labels.txt'), 'utf8').trim().split('\n'),
        dataDir: kaggleFolder(2).dir,
      });
      const student = await trainVersion(registry, { ...options, distillFrom: imported.record.version });
      assert.equal(student.manifest.training.options['distillFrom'], imported.record.version);
      assert.equal(student.manifest.architecture, 'tc-resnet8');
      assert.ok(Number.isFinite(student.manifest.training.history[0]!.loss));
      // A teacher whose model file is damaged is refused before a version number is taken.
      writeFileSync(join(registry.resolve(imported.record.version).dir, 'model.onnx'), 'not a model');
      const count = registry.list().length;
      await assert.rejects(trainVersion(registry, { ...options, distillFrom: imported.record.version }), {
        code: 'MALFORMED',
      });
      assert.equal(registry.list().length, count);
    });

    it('refuses a teacher over other features, a missing one, a weight alone or out of range and fineTuneOnly, before taking a version number', async () => {
      const versions = registry.list().length;
      await assert.rejects(trainVersion(registry, { ...options, features: { type: 'pcen' }, distillFrom: 1 }), {
        code: 'INVALID_ARGUMENT',
        message: /^teacher version 1 computes other features than the model being trained/,
      });
      await assert.rejects(trainVersion(registry, { ...options, distillFrom: 99 }), { code: 'NOT_FOUND' });
      for (const [extra, message] of [
        [{ distillWeight: 0.3 }, 'distillWeight needs distillFrom, the teacher version to distil from'],
        [{ distillFrom: 1, distillWeight: 2 }, 'distillWeight must be in (0, 1], got 2'],
        [
          { baseVersion: 1, fineTuneOnly: true, distillFrom: 1 },
          'distillation trains the whole model: it cannot be combined with fineTuneOnly',
        ],
      ] as const)
        await assert.rejects(trainVersion(registry, { ...options, ...extra }), { code: 'INVALID_ARGUMENT', message });
      assert.equal(registry.list().length, versions);
    });
  });
});
