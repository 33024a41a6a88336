import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EnginePool, penultimateTensor } from '../../src/engine/index.js';
import { DEFAULT_FEATURE_CONFIG } from '../../src/features/index.js';
import { realDataDir } from '../helpers/signals.js';
import { BUNDLED_MODELS } from '../helpers/server.js';

describe('penultimateTensor', () => {
  it("finds the input of the Gemm that makes the logits, through Identity nodes (TC-ResNet's export)", () => {
    const nodes = [
      { opType: 'GlobalAveragePool', input: ['relu'], output: ['gap'] },
      { opType: 'Flatten', input: ['gap'], output: ['flat'] },
      { opType: 'Gemm', input: ['flat', 'W', 'B'], output: ['dense'] },
      { opType: 'Softmax', input: ['dense'], output: ['soft'] },
      { opType: 'Identity', input: ['soft'], output: ['probabilities'] },
      { opType: 'Identity', input: ['dense'], output: ['logits'] },
    ];
    assert.equal(penultimateTensor(nodes), 'flat');
  });

  it('finds the input of a MatMul followed by a bias Add', () => {
    const nodes = [
      { opType: 'MatMul', input: ['embedding', 'W'], output: ['mm'] },
      { opType: 'Add', input: ['mm', 'B'], output: ['logits'] },
    ];
    assert.equal(penultimateTensor(nodes), 'embedding');
  });

  it('gives null for a graph without logits, or whose logits come from anything else', () => {
    assert.equal(penultimateTensor([{ opType: 'Gemm', input: ['x', 'W'], output: ['probabilities'] }]), null);
    assert.equal(penultimateTensor([{ opType: 'Sum', input: ['a', 'b', 'c'], output: ['logits'] }]), null);
  });
});

describe('EnginePool.embedChunk', () => {
  let pool: EnginePool;
  const target = {
    modelDir: join(BUNDLED_MODELS, '1'),
    geometry: { frames: 98, bins: 40, classes: 12 },
    temperature: 1,
  };
  const testdata = join(realDataDir(), 'tflite-micro', 'testdata');
  const paths = [join(testdata, 'yes_1000ms.wav'), join(testdata, 'missing.wav'), join(testdata, 'no_1000ms.wav')];
  before(() => {
    pool = new EnginePool({ threads: 1 });
  });
  after(async () => {
    await pool.close();
  });

  it("returns the 48 pooled channels TC-ResNet8's classifier reads, with the same probabilities as scoreChunk", async () => {
    const embedded = await pool.embedChunk(paths, DEFAULT_FEATURE_CONFIG, target);
    const scored = await pool.scoreChunk(paths, DEFAULT_FEATURE_CONFIG, target);
    assert.equal(embedded.layer, 'penultimate');
    assert.equal(embedded.dims, 48);
    assert.equal(embedded.embeddings.length, 3 * 48);
    assert.deepEqual(
      embedded.failures.map((f) => [f.index, f.code]),
      [[1, 'FILE_NOT_FOUND']],
    );
    assert.ok(
      embedded.embeddings.subarray(48, 96).every((v) => v === 0),
      'a failed file has a zero row',
    );
    // Global average pooling of ReLU outputs: no channel is negative, and a real clip excites some.
    assert.ok(embedded.embeddings.subarray(0, 48).every((v) => v >= 0));
    assert.ok(embedded.embeddings.subarray(0, 48).some((v) => v > 0));
    for (let i = 0; i < embedded.probabilities.length; i++)
      assert.ok(Math.abs((embedded.probabilities[i] as number) - (scored.probabilities[i] as number)) < 1e-5);
  });
});
