import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { synthesizeCorpus } from '../../src/synth/index.js';
import { selectTfjsBackend } from '../../src/engine/tfjs/index.js';
import { trainModel } from '../../src/training/tfjs/index.js';
import { validateTrainOptions } from '../../src/training/index.js';
import type { TrainProgress } from '../../src/training/index.js';
import type { TrainResult } from '../../src/training/tfjs/index.js';
import { tempDir } from '../helpers/signals.js';
import { threadCount, threadsSettleTo } from '../helpers/threads.js';

describe('trainModel on a tiny synthetic corpus (wasm backend)', () => {
  let dataDir: string;
  let result: TrainResult;
  const progress: TrainProgress[] = [];
  // The corpus has 5 of the 12 classes (yes, no, up; dog as unknown; silence).
  const options = {
    epochs: 3,
    batchSize: 16,
    seed: 3,
    architecture: 'tc-resnet8' as const,
    dataset: { validationPercentage: 25, testingPercentage: 25 },
    allowMissingClasses: true,
  };

  before(async () => {
    dataDir = tempDir('kws-train-');
    await synthesizeCorpus({
      outDir: join(dataDir, 'c'),
      perWord: 8,
      words: ['yes', 'no', 'up', 'dog'],
      seed: 5,
      realNoiseDir: null,
    });
    await selectTfjsBackend('wasm');
    result = await trainModel({ ...options, dataDir: join(dataDir, 'c'), onProgress: (p) => progress.push(p) });
  });

  it('trains every epoch and keeps the best validation epoch', () => {
    assert.equal(result.history.length, 3);
    const bestAccuracy = Math.max(...result.history.map((h) => h.valAccuracy));
    assert.equal(result.history[result.bestEpoch - 1]!.valAccuracy, bestAccuracy);
    assert.equal(result.validation.metrics.accuracy, bestAccuracy, 'the restored weights are the best epoch');
    assert.ok(result.history.every((h) => Number.isFinite(h.loss) && h.loss > 0));
  });

  it('reports metrics in the evaluation shape and thresholds calibrated on validation', () => {
    assert.equal(result.validation.metrics.perClass.length, 12);
    assert.equal(result.validation.metrics.confusion.length, 12);
    assert.equal(result.validation.metrics.examples, result.counts.validation);
    assert.ok(result.validation.calibration.accuracy >= result.validation.calibration.baselineAccuracy);
    assert.ok(result.testing !== null && result.testing.examples === result.counts.testing);
    assert.deepEqual(result.featureConfig.melBins, 40);
  });

  it('reports progress through loading, training and evaluating, with an ETA', () => {
    assert.deepEqual([...new Set(progress.map((p) => p.phase))], ['loading', 'training', 'evaluating']);
    const last = progress.filter((p) => p.phase === 'training').at(-1)!;
    assert.equal(last.epoch, 3);
    assert.equal(last.etaSeconds, 0);
  });

  it('gives the same history for the same seed on the same backend, and leaks no tensors', async () => {
    const before = tf.memory().numTensors - result.model.weights.length;
    const again = await trainModel({ ...options, dataDir: join(dataDir, 'c') });
    assert.deepEqual(
      again.history.map((h) => [h.loss, h.valAccuracy]),
      result.history.map((h) => [h.loss, h.valAccuracy]),
    );
    again.model.dispose();
    result.model.dispose();
    assert.ok(tf.memory().numTensors <= before + 2, `${tf.memory().numTensors} tensors, ${before} before`);
  });

  it(
    'trains the same model with its batches made on a worker thread (the second core) as on the training thread',
    {
      skip: availableParallelism() < 2 ? 'one core: openBatchSource never starts a worker' : false,
    },
    async () => {
      const augment = { reverbProbability: 0.5, bandLimitProbability: 0.5, vtlpProbability: 0.5, timeMasks: 2 };
      const run = (batchWorkerMinClips: number): Promise<TrainResult> =>
        trainModel({ ...options, epochs: 2, dataDir: join(dataDir, 'c'), augment, batchWorkerMinClips });
      const inThread = await run(Number.POSITIVE_INFINITY);
      const worker = await run(0);
      assert.deepEqual(
        worker.history.map((h) => [h.loss, h.accuracy, h.valAccuracy]),
        inThread.history.map((h) => [h.loss, h.accuracy, h.valAccuracy]),
      );
      const [a, b] = [inThread, worker].map((r) => r.model.getWeights().map((w) => [...w.dataSync()]));
      assert.deepEqual(b, a);
      inThread.model.dispose();
      worker.model.dispose();
    },
  );

  it('trains on two threads the same way twice for the same seed, recording the threads, and stops them', async () => {
    const before = threadCount();
    const run = (): Promise<TrainResult> =>
      trainModel({ ...options, epochs: 2, dataDir: join(dataDir, 'c'), threads: 2 });
    const first = await run();
    const second = await run();
    assert.equal(first.threads, 2);
    assert.deepEqual(
      second.history.map((h) => [h.loss, h.accuracy, h.valAccuracy]),
      first.history.map((h) => [h.loss, h.accuracy, h.valAccuracy]),
    );
    assert.ok(first.history.every((h) => Number.isFinite(h.loss) && h.loss > 0));
    // One thread takes other steps: each shard's batch norm sees half the batch.
    const one = await trainModel({ ...options, epochs: 2, dataDir: join(dataDir, 'c') });
    assert.equal(one.threads, 1);
    assert.notDeepEqual(
      one.history.map((h) => h.loss),
      first.history.map((h) => h.loss),
    );
    [first, second, one].forEach((r) => r.model.dispose());
    await threadsSettleTo(before);
  });

  it('trains with outlier exposure and the room, channel and VTLP augmentations, leaking no tensors', async () => {
    const before = tf.memory().numTensors;
    const augment = { reverbProbability: 1, bandLimitProbability: 1, vtlpProbability: 1 };
    const plain = await trainModel({ ...options, epochs: 1, dataDir: join(dataDir, 'c'), augment });
    const exposed = await trainModel({
      ...options,
      epochs: 1,
      dataDir: join(dataDir, 'c'),
      outlierExposure: 1,
      augment,
    });
    const [loss] = exposed.history.map((h) => h.loss);
    assert.ok(Number.isFinite(loss) && loss! > 0);
    assert.notEqual(loss, plain.history[0]!.loss, 'the same augmentation, so the loss term made the difference');
    plain.model.dispose();
    exposed.model.dispose();
    assert.ok(tf.memory().numTensors <= before + 2, `${tf.memory().numTensors} tensors, ${before} before`);
  });

  it('rejects bad options and a dataset without validation examples', async () => {
    await assert.rejects(trainModel({ dataDir: join(dataDir, 'c'), epochs: 0 }), {
      code: 'INVALID_ARGUMENT',
      message: 'epochs must be an integer from 1 to 10000, got 0',
    });
    assert.throws(() => validateTrainOptions({ augment: { timeMasks: 10, timeMaskFrames: 100 } }), {
      code: 'INVALID_ARGUMENT',
      message:
        'AugmentConfig: 10 time masks of up to 100 frames could blank all 98 frames of a clip; keep timeMasks × timeMaskFrames below 98',
    });
    assert.throws(() => validateTrainOptions({ augment: { freqMasks: 1, freqMaskBins: 41 } }), {
      code: 'INVALID_ARGUMENT',
      message: /could blank all 40 bins/,
    });
    assert.doesNotThrow(() =>
      validateTrainOptions({ augment: { timeMasks: 2, timeMaskFrames: 10, freqMasks: 2, freqMaskBins: 5 } }),
    );
    assert.throws(() => validateTrainOptions({ threads: 4, batchSize: 6 }), {
      code: 'INVALID_ARGUMENT',
      message:
        'threads: each of 4 training threads needs at least 2 clips of a batch, and batchSize 6 gives 1; use batchSize 8 or more, or fewer threads',
    });
    assert.throws(() => validateTrainOptions({ threads: 0 }), {
      code: 'INVALID_ARGUMENT',
      message: 'threads must be an integer from 1 to 32, got 0',
    });
    const noValidation = join(dataDir, 'no-validation');
    mkdirSync(join(noValidation, 'yes'), { recursive: true });
    copyFileSync(
      join(dataDir, 'c', 'yes', readdirSync(join(dataDir, 'c', 'yes'))[0]!),
      join(noValidation, 'yes', '0000000a_nohash_0.wav'),
    );
    writeFileSync(join(noValidation, 'validation_list.txt'), '');
    await assert.rejects(trainModel({ dataDir: noValidation }), {
      code: 'INVALID_ARGUMENT',
      message: /has no validation examples/,
    });
  });

  it('refuses a dataset without training examples of some classes, naming them, unless allowed', async () => {
    const c = join(dataDir, 'c');
    await assert.rejects(trainModel({ ...options, allowMissingClasses: false, dataDir: c }), {
      code: 'INVALID_ARGUMENT',
      message: `${c} has no training examples of down, left, right, on, off, stop, go: the model could never predict those classes (allow it with allowMissingClasses, kws train --allow-missing-classes)`,
    });
  });
});
