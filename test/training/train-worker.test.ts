import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ModelRegistry } from '../../src/registry/index.js';
import { synthesizeCorpus } from '../../src/synth/index.js';
import type { TrainWorkerMessage } from '../../src/training/index.js';
import { runTrainWorker } from '../../src/training/tfjs/index.js';
import { modelRepository } from '../helpers/models.js';
import { tempDir } from '../helpers/signals.js';

describe('runTrainWorker (a training job thread)', () => {
  const corpus = join(tempDir('kws-train-worker-'), 'corpus');
  before(async () => {
    await synthesizeCorpus({ outDir: corpus, perWord: 4, words: ['yes', 'no', 'dog'], seed: 2, realNoiseDir: null });
  });

  it('reports every finished epoch at once, so the job keeps the whole curve while it trains', async () => {
    const models = modelRepository(1);
    const messages: TrainWorkerMessage[] = [];
    await runTrainWorker(
      {
        modelsDir: models,
        options: {
          dataDir: corpus,
          epochs: 3,
          patience: 3,
          batchSize: 16,
          seed: 4,
          backend: 'wasm',
          dataset: { validationPercentage: 25, testingPercentage: 25 },
          allowMissingClasses: true,
        },
      },
      { postMessage: (message: TrainWorkerMessage) => messages.push(message) },
    );
    const done = messages.findIndex((m) => m.type === 'done');
    assert.ok(done > 0, JSON.stringify(messages.filter((m) => m.type === 'error')));
    const curves = messages
      .slice(0, done)
      .flatMap((m) => (m.type === 'progress' ? [(m.progress.history ?? []).map((e) => e.epoch)] : []));
    // Each curve extends the one before it, and an epoch appears as soon as it ends.
    for (let i = 1; i < curves.length; i++)
      assert.deepEqual(curves[i]?.slice(0, curves[i - 1]?.length), curves[i - 1], `report ${i}`);
    assert.deepEqual(
      [...new Set(curves.map((c) => c.length))].filter((n) => n > 0),
      [1, 2, 3],
    );
    const version = (messages[done] as { version: number }).version;
    const registry = ModelRegistry.open(models, { createModelsDir: false });
    try {
      const last = messages.slice(0, done).findLast((m) => m.type === 'progress');
      assert.deepEqual(
        last?.type === 'progress' ? last.progress.history : null,
        registry.manifest(version).training.history,
        "the reported curve is the version's recorded history",
      );
    } finally {
      registry.close();
    }
  });
});
