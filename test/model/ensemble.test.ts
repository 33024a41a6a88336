import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-node';
import { exportOnnx, loadLayersModel, selectTfjsBackend, withLogits } from '../../src/engine/tfjs/index.js';
import { buildEnsemble, buildModel } from '../../src/model/tfjs/index.js';
import type { EnsembleMember } from '../../src/model/tfjs/index.js';

const MODELS = join(import.meta.dirname, '..', '..', 'models');
const ROWS = 5;

/** A model's outputs on x: `[rows, 12]` probabilities and, when it has a logits layer, logits. */
function outputs(model: tfl.LayersModel, x: tf.Tensor): { probabilities: Float32Array; logits: Float32Array | null } {
  const out = withLogits(model).predict(x);
  const [p, z] = Array.isArray(out) ? out : [out];
  const result = {
    probabilities: p!.dataSync() as Float32Array,
    logits: z === undefined ? null : (z.dataSync() as Float32Array),
  };
  tf.dispose(out);
  return result;
}

function softmax(z: readonly number[]): number[] {
  const top = Math.max(...z);
  const e = z.map((v) => Math.exp(v - top));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function assertClose(got: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(got.length, expected.length, what);
  for (let i = 0; i < got.length; i++)
    assert.ok(Math.abs(got[i]! - expected[i]!) <= tolerance, `${what}[${i}]: ${got[i]} against ${expected[i]}`);
}

describe('buildEnsemble', () => {
  let one: tfl.LayersModel;
  let two: tfl.LayersModel;
  let lenet: tfl.LayersModel;
  let x: tf.Tensor4D;
  before(async () => {
    await selectTfjsBackend('wasm');
    one = await loadLayersModel(join(MODELS, '1'));
    two = await loadLayersModel(join(MODELS, '2'));
    lenet = buildModel('lenet', { frames: 98, bins: 40 }, 12, { seed: 3 });
    x = tf.randomNormal([ROWS, 98, 40, 1], 0, 2, 'float32', 9) as tf.Tensor4D;
  });

  it('mean-logit: the softmax of the members’ logits, each at its temperature and weighted (two architectures), with its own logits', async () => {
    const members: EnsembleMember[] = [
      { model: one, prefix: 'v1_', temperature: 1, weight: 0.25 },
      { model: lenet, prefix: 'v9_', temperature: 2, weight: 0.75 },
    ];
    const ensemble = await buildEnsemble(members, 'mean-logit');
    const z1 = outputs(one, x).logits!;
    const z2 = outputs(lenet, x).logits!;
    const mixed = Array.from(z1, (z, i) => 0.25 * z + (0.75 / 2) * z2[i]!);
    const expected = Array.from({ length: ROWS }, (_, r) => softmax(mixed.slice(r * 12, r * 12 + 12))).flat();
    const got = outputs(ensemble, x);
    assertClose(got.probabilities, expected, 1e-5, 'probabilities');
    assertClose(got.logits!, mixed, 1e-4, 'logits');
    // The members were copied, not changed.
    assertClose(outputs(one, x).logits!, z1, 0, 'member 1 logits');
    ensemble.dispose();
  });

  it('mean-prob: the mean of the members’ probabilities at their temperatures, without logits', async () => {
    const ensemble = await buildEnsemble(
      [
        { model: one, prefix: 'v1_', temperature: 1.5, weight: 0.5 },
        { model: two, prefix: 'v2_', temperature: 1, weight: 0.5 },
      ],
      'mean-prob',
    );
    const z1 = outputs(one, x).logits!;
    const p2 = outputs(two, x).probabilities;
    const expected = Array.from({ length: ROWS }, (_, r) =>
      softmax(Array.from(z1.slice(r * 12, r * 12 + 12), (z) => z / 1.5)).map((p, c) => (p + p2[r * 12 + c]!) / 2),
    ).flat();
    const got = outputs(ensemble, x);
    assertClose(got.probabilities, expected, 1e-5, 'probabilities');
    assert.equal(got.logits, null);
    ensemble.dispose();
  });

  it('exports to ONNX: onnxruntime agrees with TF.js within 1e-4, logits included for mean-logit', async () => {
    for (const combine of ['mean-logit', 'mean-prob'] as const) {
      const ensemble = await buildEnsemble(
        [
          { model: one, prefix: 'v1_', temperature: 1.2, weight: 0.5 },
          { model: two, prefix: 'v2_', temperature: 0.9, weight: 0.5 },
        ],
        combine,
      );
      const session = await ort.InferenceSession.create(exportOnnx(ensemble));
      assert.deepEqual(session.outputNames, combine === 'mean-logit' ? ['probabilities', 'logits'] : ['probabilities']);
      const result = await session.run({
        features: new ort.Tensor('float32', x.dataSync() as Float32Array, [ROWS, 98, 40, 1]),
      });
      const expected = outputs(ensemble, x);
      assertClose(
        result['probabilities']!.data as Float32Array,
        expected.probabilities,
        1e-4,
        `${combine} probabilities`,
      );
      if (combine === 'mean-logit')
        assertClose(result['logits']!.data as Float32Array, expected.logits!, 1e-3, `${combine} logits`);
      await session.release();
      ensemble.dispose();
    }
  });

  it('refuses one member, unequal weights with mean-prob, a bad temperature and a member without logits under its softmax', async () => {
    await assert.rejects(buildEnsemble([{ model: one, prefix: 'v1_', temperature: 1, weight: 1 }], 'mean-logit'), {
      name: 'KwsError',
      code: 'INVALID_ARGUMENT',
      message: 'an ensemble needs two or more members',
    });
    await assert.rejects(
      buildEnsemble(
        [
          { model: one, prefix: 'v1_', temperature: 1, weight: 0.3 },
          { model: two, prefix: 'v2_', temperature: 1, weight: 0.7 },
        ],
        'mean-prob',
      ),
      { code: 'INVALID_ARGUMENT', message: 'mean-prob averages the members equally: weights need mean-logit' },
    );
    await assert.rejects(
      buildEnsemble(
        [
          { model: one, prefix: 'v1_', temperature: 0, weight: 0.5 },
          { model: two, prefix: 'v2_', temperature: 1, weight: 0.5 },
        ],
        'mean-logit',
      ),
      { code: 'INVALID_ARGUMENT', message: "a member's temperature must be > 0, got 0" },
    );
    const nested = await buildEnsemble(
      [
        { model: one, prefix: 'v1_', temperature: 1, weight: 0.5 },
        { model: two, prefix: 'v2_', temperature: 1, weight: 0.5 },
      ],
      'mean-logit',
    );
    await assert.rejects(
      buildEnsemble(
        [
          { model: nested, prefix: 'v3_', temperature: 1, weight: 0.5 },
          { model: two, prefix: 'v2_', temperature: 1, weight: 0.5 },
        ],
        'mean-logit',
      ),
      {
        code: 'INVALID_ARGUMENT',
        message:
          'an ensemble member needs one input and a softmax output on a dense layer named logits; v3 does not have them',
      },
    );
    nested.dispose();
  });
});
