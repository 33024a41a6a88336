import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ARCHITECTURES } from '../../src/model/index.js';
import { selectTfjsBackend } from '../../src/engine/tfjs/index.js';
import { buildModel } from '../../src/model/tfjs/index.js';
import { loadLayersModel } from '../../src/engine/tfjs/index.js';
import { saveLayersModel } from '../../src/engine/tfjs/index.js';
import { tempDir } from '../helpers/signals.js';

/** Loads the model saved in `dir` and checks it predicts exactly what `model` does on four random inputs. */
async function assertLoadsTheSame(model: tfl.LayersModel, dir: string): Promise<void> {
  const loaded = await loadLayersModel(dir);
  const x = tf.randomNormal([4, 98, 40, 1], 0, 1, 'float32', 1);
  const a = (model.predict(x) as tf.Tensor).dataSync();
  const b = (loaded.predict(x) as tf.Tensor).dataSync();
  assert.deepEqual(b, a);
  tf.dispose(x);
  loaded.dispose();
}

describe('model artifacts', () => {
  before(async () => {
    await selectTfjsBackend('wasm');
  });

  for (const architecture of ARCHITECTURES)
    it(`${architecture}: saves model.json + weights.bin and loads a model that predicts exactly the same`, async () => {
      const dir = tempDir('kws-model-');
      const model = buildModel(architecture, { frames: 98, bins: 40 }, 12, { seed: 9 });
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
      await assertLoadsTheSame(model, dir);
      model.dispose();
    });

  it('loads a MatchboxNet saved by plain tfjs-layers 4.22, whose depthwise_constraint holds the L2 regularizer', async () => {
    const dir = tempDir('kws-model-depthwise-');
    const model = buildModel('matchboxnet-3x1x64', { frames: 98, bins: 40 }, 12, { seed: 9 });
    await saveLayersModel(model, dir);
    const file = join(dir, 'model.json');
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes('"depthwise_constraint":{'), 'saved repaired');
    // As tfjs-layers writes it: the regularizer serialised again where the constraint belongs.
    const broken = text.replace(
      /"depthwise_constraint":null/g,
      '"depthwise_constraint":{"class_name":"L1L2","config":{"l1":0,"l2":0.0001}}',
    );
    assert.notEqual(broken, text);
    writeFileSync(file, broken);
    await assertLoadsTheSame(model, dir);
    model.dispose();
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
