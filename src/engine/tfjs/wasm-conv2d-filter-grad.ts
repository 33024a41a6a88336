import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

/** Attributes of TF.js's `Conv2DBackpropFilter` kernel. */
interface Conv2DBackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** The parts of the WebAssembly backend this kernel uses. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number, values?: Float32Array): TensorInfo;
  readSync(dataId: object): Float32Array;
  disposeData(dataId: object): boolean;
}

/** Runs another wasm kernel directly (no Tensor objects, no gradient tape). */
function run(name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap, backend: WasmBackend): TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (kernel === undefined) throw new Error(`wasm backend has no ${name} kernel`);
  return (kernel.kernelFunc as KernelFunc)({
    inputs,
    attrs,
    backend: backend as unknown as tf.KernelBackend,
  }) as TensorInfo;
}

/**
 * The gradient of a 2-D convolution with respect to its filter, for TF.js's WebAssembly backend,
 * which ships no `Conv2DBackpropFilter` kernel (tfjs-backend-wasm 4.22), so models with conv2d
 * cannot train on it.
 *
 * dW[i, j, c, k] = Σ_{b, y, x} xPadded[b, y·s_h + i, x·s_w + j, c] · dy[b, y, x, k], computed one
 * filter tap (i, j) at a time as the matrix product `patchᵀ · dy` of `[N, inC]ᵀ x [N, outC]`
 * (N = batch · outH · outW), with the backend's own PadV2, StridedSlice and BatchMatMul kernels
 * called directly, then written to `[kh, kw, inC, outC]`. NHWC only, dilation 1 (as TF.js requires
 * for this gradient).
 */
function conv2dBackpropFilter(args: {
  inputs: NamedTensorInfoMap;
  attrs?: NamedAttrMap;
  backend: unknown;
}): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const backend = args.backend as WasmBackend;
  const filterShape = attrs.filterShape;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  const [kh, kw, inC, outC] = filterShape;
  const n = info.batchSize * info.outHeight * info.outWidth;
  const { top, left, bottom, right } = info.padInfo;
  const out = new Float32Array(kh * kw * inC * outC);
  const padded = run(
    'PadV2',
    { x },
    {
      paddings: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      constantValue: 0,
    } as unknown as NamedAttrMap,
    backend,
  );
  const dy3 = run('Reshape', { x: dy }, { shape: [1, n, outC] }, backend);
  try {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const end = [
          info.batchSize,
          i + (info.outHeight - 1) * info.strideHeight + 1,
          j + (info.outWidth - 1) * info.strideWidth + 1,
          inC,
        ];
        const sliceAttrs = {
          begin: [0, i, j, 0],
          end,
          strides: [1, info.strideHeight, info.strideWidth, 1],
          beginMask: 0,
          endMask: 0,
          ellipsisMask: 0,
          newAxisMask: 0,
          shrinkAxisMask: 0,
        };
        const patch = run('StridedSlice', { x: padded }, sliceAttrs, backend);
        const patch3 = run('Reshape', { x: patch }, { shape: [1, n, inC] }, backend);
        const product = run('BatchMatMul', { a: patch3, b: dy3 }, { transposeA: true, transposeB: false }, backend);
        out.set(backend.readSync(product.dataId), (i * kw + j) * inC * outC);
        for (const t of [patch, patch3, product]) backend.disposeData(t.dataId);
      }
    }
  } finally {
    backend.disposeData(padded.dataId);
    backend.disposeData(dy3.dataId);
  }
  return backend.makeOutput(filterShape, 'float32', undefined, out);
}

/** Kernel registration of {@link conv2dBackpropFilter} for the `wasm` backend. */
export const wasmConv2DBackpropFilterKernel: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as KernelConfig['kernelFunc'],
};
