import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectTfjsBackend } from '../../src/engine/tfjs/index.js';
import {
  col2imAdd,
  depthwiseFilterGrad,
  depthwiseInputGrad,
  im2col,
  im2colTransposed,
  tileInto,
} from '../../src/engine/tfjs/wasm-training-kernels.js';
import type { ConvGeometry, DepthwiseGeometry } from '../../src/engine/tfjs/wasm-training-kernels.js';

type Shape4 = [number, number, number, number];

/** Filter and input gradients of sum(conv(x, w)²) on the active backend, as plain numbers; `conv` a 2-D or a depthwise convolution. */
async function gradientsOf(
  conv: 'conv2d' | 'depthwise',
  xShape: Shape4,
  wShape: Shape4,
  strides: [number, number],
  pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding,
): Promise<{ dw: Float32Array; dx: Float32Array }> {
  const x = tf.randomNormal(xShape, 0, 1, 'float32', 11);
  const w = tf.randomNormal(wShape, 0, 1, 'float32', 12);
  const [dx, dw] = tf.grads((input: tf.Tensor, filter: tf.Tensor) =>
    tf.sum(
      tf.square(
        conv === 'conv2d'
          ? tf.conv2d(input as tf.Tensor4D, filter as tf.Tensor4D, strides, pad)
          : tf.depthwiseConv2d(input as tf.Tensor4D, filter as tf.Tensor4D, strides, pad as 'same' | 'valid'),
      ),
    ),
  )([x, w]) as [tf.Tensor, tf.Tensor];
  const values = { dw: (await dw.data()) as Float32Array, dx: (await dx.data()) as Float32Array };
  tf.dispose([x, w, dx, dw]);
  return values;
}

const convGradients = (
  ...args: [Shape4, Shape4, [number, number], 'same' | 'valid' | tf.backend_util.ExplicitPadding]
) => gradientsOf('conv2d', ...args);

/** The wasm backend's gradients against the cpu backend's, to 1e-4 of the largest (relative). */
async function matchesCpu(
  conv: 'conv2d' | 'depthwise',
  c: { x: Shape4; w: Shape4; strides: [number, number]; pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding },
): Promise<void> {
  assert.equal((await selectTfjsBackend('wasm')).backend, 'wasm');
  const wasm = await gradientsOf(conv, c.x, c.w, c.strides, c.pad);
  await selectTfjsBackend('cpu');
  const cpu = await gradientsOf(conv, c.x, c.w, c.strides, c.pad);
  for (const key of ['dw', 'dx'] as const) {
    const { worst, scale } = relativeError(wasm[key], cpu[key]);
    assert.ok(scale > 0, `${key} is all zeros`);
    assert.ok(worst <= 1e-4 * scale, `${key}: max difference ${worst} against max |gradient| ${scale}`);
  }
}

/** Three input rows of one column, a 2 x 1 filter, stride 1, one row of padding on top; 2 channels in, 1 out. */
const TWO_TAP_PAD_TOP: ConvGeometry = {
  batch: 1,
  inH: 3,
  inW: 1,
  inC: 2,
  outH: 3,
  outW: 1,
  outC: 1,
  kh: 2,
  kw: 1,
  strideH: 1,
  strideW: 1,
  padTop: 1,
  padLeft: 0,
};

/** Largest absolute difference, against the largest magnitude of the reference. */
function relativeError(actual: Float32Array, expected: Float32Array): { worst: number; scale: number } {
  assert.equal(actual.length, expected.length);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  }
  return { worst, scale };
}

describe('Conv2D gradients on the wasm backend', () => {
  const cases: Array<{
    x: Shape4;
    w: Shape4;
    strides: [number, number];
    pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding;
  }> = [
    { x: [2, 9, 7, 3], w: [3, 2, 3, 4], strides: [2, 1], pad: 'same' },
    { x: [3, 12, 1, 5], w: [9, 1, 5, 6], strides: [2, 1], pad: 'same' },
    { x: [2, 10, 8, 2], w: [5, 5, 2, 3], strides: [1, 1], pad: 'valid' },
    { x: [1, 11, 9, 4], w: [1, 1, 4, 2], strides: [2, 2], pad: 'same' },
    { x: [4, 98, 1, 40], w: [3, 1, 40, 16], strides: [1, 1], pad: 'same' },
    { x: [2, 9, 8, 3], w: [3, 3, 3, 4], strides: [2, 2], pad: 'same' },
    { x: [2, 10, 11, 3], w: [3, 2, 3, 4], strides: [2, 3], pad: 'valid' },
    // Padding the transposed convolution cannot express (top 3 with a 3-row filter; a window wholly in
    // the bottom padding): the input gradient falls back to dy·Wᵀ and col2im.
    {
      x: [2, 7, 6, 2],
      w: [3, 3, 2, 3],
      strides: [1, 1],
      pad: [
        [0, 0],
        [3, 1],
        [1, 1],
        [0, 0],
      ],
    },
    {
      x: [2, 7, 6, 2],
      w: [3, 3, 2, 3],
      strides: [1, 2],
      pad: [
        [0, 0],
        [0, 5],
        [0, 0],
        [0, 0],
      ],
    },
    // 200·200·5·5·4 floats per example: the im2col matrix is cut into one chunk per batch element.
    { x: [3, 200, 200, 4], w: [5, 5, 4, 2], strides: [1, 1], pad: 'same' },
  ];
  for (const c of cases) {
    it(`filter and input gradients match the cpu backend to 1e-4 (relative) for x ${c.x.join('x')}, w ${c.w.join('x')}, strides ${c.strides.join('x')}, ${JSON.stringify(c.pad)}`, async () => {
      await matchesCpu('conv2d', c);
    });
  }

  it('leaks no tensors and no backend buffers (the kernels’ own temporaries included)', async () => {
    await selectTfjsBackend('wasm');
    await convGradients([2, 9, 7, 3], [3, 2, 3, 4], [1, 1], 'same');
    const before = { tensors: tf.memory().numTensors, buffers: tf.backend().numDataIds() };
    await convGradients([2, 9, 7, 3], [3, 2, 3, 4], [1, 1], 'same');
    await convGradients([3, 200, 200, 4], [5, 5, 4, 2], [1, 1], 'same');
    await convGradients([3, 12, 1, 5], [9, 1, 5, 6], [2, 1], 'same');
    await convGradients(
      [2, 7, 6, 2],
      [3, 3, 2, 3],
      [1, 1],
      [
        [0, 0],
        [3, 1],
        [1, 1],
        [0, 0],
      ],
    );
    assert.deepEqual({ tensors: tf.memory().numTensors, buffers: tf.backend().numDataIds() }, before);
  });
});

describe('DepthwiseConv2D gradients on the wasm backend', () => {
  const cases: Array<{ x: Shape4; w: Shape4; strides: [number, number]; pad: 'same' | 'valid' }> = [
    // MatchboxNet's: a 13-tap temporal filter over [frames, 1, channels].
    { x: [3, 98, 1, 8], w: [13, 1, 8, 1], strides: [1, 1], pad: 'same' },
    { x: [2, 9, 7, 3], w: [3, 2, 3, 2], strides: [2, 1], pad: 'same' },
    { x: [2, 10, 8, 2], w: [5, 5, 2, 1], strides: [1, 1], pad: 'valid' },
    { x: [2, 11, 9, 4], w: [3, 3, 4, 3], strides: [2, 2], pad: 'valid' },
  ];
  for (const c of cases) {
    it(`filter and input gradients match the cpu backend to 1e-4 (relative) for x ${c.x.join('x')}, w ${c.w.join('x')}, strides ${c.strides.join('x')}, ${c.pad}`, async () => {
      await matchesCpu('depthwise', c);
    });
  }

  it('computes exact values on a hand-sized case: one channel, a 2-tap filter, one row of padding on top', () => {
    // x [1, 3, 1, 1] = 1, 2, 3; w [2, 1, 1, 1] = (a, b); y[t] = a·x[t-1] + b·x[t], so y = (b, a + 2b, 2a + 3b).
    const g: DepthwiseGeometry = { ...TWO_TAP_PAD_TOP, inC: 1, multiplier: 1, dilationH: 1, dilationW: 1 };
    const dw = new Float32Array(2);
    // dy = (1, 10, 100): dL/da = x[-1]·1 + x[0]·10 + x[1]·100 = 0 + 10 + 200; dL/db = 1 + 20 + 300.
    depthwiseFilterGrad(Float32Array.from([1, 2, 3]), Float32Array.from([1, 10, 100]), g, dw);
    assert.deepEqual(Array.from(dw), [210, 321]);
    const dx = new Float32Array(3);
    // w = (a, b) = (2, 5): dx[s] = b·dy[s] + a·dy[s+1].
    depthwiseInputGrad(Float32Array.from([1, 10, 100]), Float32Array.from([2, 5]), g, dx);
    assert.deepEqual(Array.from(dx), [5 + 20, 50 + 200, 500]);
  });
});

describe('im2col and col2im', () => {
  // x [1, 3, 1, 2] = channels (1, 2), (3, 4), (5, 6); a 2x1 filter, stride 1, one row of padding on top.
  const g = TWO_TAP_PAD_TOP;

  it('writes each output position’s receptive field as a row, zeros in the padding', () => {
    const col = new Float32Array(3 * 4).fill(9);
    im2col(Float32Array.of(1, 2, 3, 4, 5, 6), g, 0, 1, col);
    assert.deepEqual([...col], [0, 0, 1, 2, 1, 2, 3, 4, 3, 4, 5, 6]);
  });

  it('writes the same receptive fields as columns in the transposed layout, taps in filter order', () => {
    const colT = new Float32Array(4 * 3).fill(9);
    im2colTransposed(Float32Array.of(1, 2, 3, 4, 5, 6), g, 0, 1, colT);
    // Rows: tap 0 channel 0, tap 0 channel 1, tap 1 channel 0, tap 1 channel 1; columns: output rows.
    assert.deepEqual([...colT], [0, 1, 3, 0, 2, 4, 1, 3, 5, 2, 4, 6]);
  });

  it('adds each row back where it was read from (the adjoint of im2col)', () => {
    const dx = new Float32Array(6);
    col2imAdd(Float32Array.of(100, 100, 1, 2, 10, 20, 3, 4, 30, 40, 5, 6), g, 0, 1, dx);
    assert.deepEqual([...dx], [11, 22, 33, 44, 5, 6]);
  });
});

describe('Tile on the wasm backend', () => {
  it('tiles exactly like tf.tile on the cpu backend, for float32, int32 and bool', async () => {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const shape = [2, 1, 3];
      const reps = [3, 4, 2];
      const values = [1, 0, 3, 0, 5, 6];
      const tiled = async (): Promise<number[]> => {
        const x = tf.tensor(values, shape, dtype);
        const y = tf.tile(x, reps);
        const out = [...(await y.data())].map(Number);
        tf.dispose([x, y]);
        return out;
      };
      await selectTfjsBackend('wasm');
      const wasm = await tiled();
      await selectTfjsBackend('cpu');
      assert.deepEqual(wasm, await tiled(), dtype);
      assert.equal(wasm.length, 6 * 24);
    }
  });

  it('tileInto repeats the innermost block first', () => {
    const out = new Float32Array(8);
    tileInto(Float32Array.of(1, 2), [1, 2], [2, 2], out);
    assert.deepEqual([...out], [1, 2, 1, 2, 1, 2, 1, 2]);
    const out2 = new Float32Array(8);
    tileInto(Float32Array.of(1, 2), [2, 1], [2, 2], out2);
    assert.deepEqual([...out2], [1, 1, 2, 2, 1, 1, 2, 2]);
  });
});
