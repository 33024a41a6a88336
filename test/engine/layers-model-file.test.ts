import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectTfjsBackend } from '../../src/engine/tfjs/index.js';
import { buildModel } from '../../src/model/tfjs/index.js';
import { loadLayersModel } from '../../src/engine/tfjs/index.js';
import { saveLayersModel } from '../../src/engine/tfjs/index.js';
import { tempDir } from '../helpers/signals.js';

describe('model artifacts', () => {
  before(async () => {
    await selectTfjsBackend('wasm');
  });

  it('saves model.json + weights.bin and loads a model that predicts exactly the same', async () => {
    const dir = tempDir('kws-model-');
    const model = buildModel('tc-resnet8', { frames: 98, bins: 40 }, 12, { seed: 9 });
    await saveLayersModel(model, dir);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
      format: string;
      weightsManifest: Array<{ paths: string[] }>;
    };
    assert.equal(json.format, 'layers-model');
    assert.deepEqual(json.weightsManifest[0]!.paths, ['weights.bin']);
    assert.equal(
      readFileSync(join(dir, 'weights.bin')).length,
      model.countParams() * 4,
      'every weight, batch-norm statistics included, as float32',
    );
    const loaded = await loadLayersModel(dir);
    const x = tf.randomNormal([4, 98, 40, 1], 0, 1, 'float32', 1);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (loaded.predict(x) as tf.Tensor).dataSync();
    assert.deepEqual(b, a);
    tf.dispose(x);
    model.dispose();
    loaded.dispose();
  });

  it('names the problem for a missing or broken model folder', async () => {
    await assert.rejects(loadLayersModel('/no/such/model'), { code: 'FILE_NOT_FOUND' });
    const dir = tempDir('kws-model-bad-');
    writeFileSync(join(dir, 'model.json'), '{not json');
    writeFileSync(join(dir, 'weights.bin'), '');
    await assert.rejects(loadLayersModel(dir), { code: 'MALFORMED', message: /is not valid JSON/ });
    writeFileSync(join(dir, 'model.json'), '{"format":"graph-model"}');
    await assert.rejects(loadLayersModel(dir), { code: 'MALFORMED', message: /is not a TF.js layers model/ });
  });
});
