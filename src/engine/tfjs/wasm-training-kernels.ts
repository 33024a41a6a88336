import * as tf from '@tensorflow/tfjs-core';
import type {
  DataType,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
  TypedArray,
} from '@tensorflow/tfjs-core';

/** Attributes shared by TF.js's `Conv2DBackpropFilter` and `Conv2DBackpropInput` kernels. */
interface Conv2DGradAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The parts of the WebAssembly backend these kernels use, private fields included (tfjs-backend-wasm
 * 4.22): each tensor's `memoryOffset` in the module's heap, and the heap itself, so that kernels read
 * and write tensors in place. `readSync` copies into a fresh ArrayBuffer, which costs 8.5 ms for a
 * 3 MB im2col matrix here (allocation and GC), more than the matrix product itself.
 */
interface WasmBackend {
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number, values?: TypedArray): TensorInfo;
  disposeData(dataId: object): boolean;
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  readonly wasm: { readonly HEAPU8: Uint8Array };
}

/**
 * A view of a tensor's values in the wasm heap, without a copy. It is only valid until the backend
 * next allocates (the heap may grow, which detaches the buffer): take views after every
 * `makeOutput` and kernel call of a step.
 */
function heapView(backend: WasmBackend, t: TensorInfo): Float32Array {
  return typedView(backend, t) as Float32Array;
}

/** {@link heapView} for any numeric dtype (`bool` as bytes, as the backend stores it). */
function typedView(backend: WasmBackend, t: TensorInfo): TypedArray {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error('tensor is not on the wasm backend');
  const size = tf.util.sizeFromShape(t.shape);
  const buffer = backend.wasm.HEAPU8.buffer;
  if (t.dtype === 'int32') return new Int32Array(buffer, data.memoryOffset, size);
  if (t.dtype === 'bool') return new Uint8Array(buffer, data.memoryOffset, size);
  return new Float32Array(buffer, data.memoryOffset, size);
}

/** Kernel arguments as TF.js passes them. */
interface KernelArgs {
  inputs: NamedTensorInfoMap;
  attrs?: NamedAttrMap;
  backend: unknown;
}

/**
 * Geometry of one NHWC 2-D convolution with dilation 1: input `[batch, inH, inW, inC]`, filter
 * `[kh, kw, inC, outC]`, output `[batch, outH, outW, outC]`; `padTop`/`padLeft` in elements.
 */
export interface ConvGeometry {
  readonly batch: number;
  readonly inH: number;
  readonly inW: number;
  readonly inC: number;
  readonly outH: number;
  readonly outW: number;
  readonly outC: number;
  readonly kh: number;
  readonly kw: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/** The im2col matrices of one call are cut by batch so that none exceeds this many floats (16 MB). */
const MAX_COLUMN_FLOATS = 1 << 22;

function geometry(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: Conv2DGradAttrs,
): ConvGeometry {
  if (attrs.dataFormat === 'NCHW') throw new Error('wasm convolution gradients support NHWC only');
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  return fromConvInfo(info);
}

/** The fields of TF.js's `Conv2DInfo` the kernels read. */
function fromConvInfo(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * im2col: writes the receptive fields of output positions `(b, oy, ox)` for `b` in `[b0, b1)` as
 * the rows of `col` (`[(b1 - b0)·outH·outW, kh·kw·inC]`, row-major, taps in filter order `(i, j, c)`,
 * zeros where a tap falls in the padding).
 *
 * @param x Input `[batch, inH, inW, inC]`, row-major.
 */
export function im2col(x: TypedArray, g: ConvGeometry, b0: number, b1: number, col: Float32Array): void {
  walkTaps(g, b0, b1, col, x, false);
}

/**
 * col2im, the adjoint of {@link im2col}: adds each row of `col` (`[(b1 - b0)·outH·outW, kh·kw·inC]`)
 * back onto the input positions it was read from, in `dx` (`[batch, inH, inW, inC]`); taps in the
 * padding are dropped.
 */
export function col2imAdd(col: TypedArray, g: ConvGeometry, b0: number, b1: number, dx: Float32Array): void {
  walkTaps(g, b0, b1, col, dx, true);
}

/**
 * Visits every tap of every output position of batch elements `[b0, b1)` in im2col order and either
 * gathers the input into `col` (`adjoint` false: {@link im2col}) or scatter-adds `col` onto the input
 * (`adjoint` true: {@link col2imAdd}). A temporal convolution (TC-ResNet's `k x 1` kernels over
 * `[frames, 1, channels]`) reads one contiguous span of the input per output frame, so it is moved as
 * one block instead of tap by tap.
 */
function walkTaps(g: ConvGeometry, b0: number, b1: number, col: TypedArray, x: TypedArray, adjoint: boolean): void {
  const temporal = g.inW === 1 && g.kw === 1 && g.outW === 1 && g.padLeft === 0;
  const rowLength = g.kh * g.kw * g.inC;
  // Floats moved at once: a temporal output frame's whole row, else one tap's channels.
  const block = temporal ? rowLength : g.inC;
  const blocks = temporal ? 1 : g.kh * g.kw;
  let o = 0;
  for (let b = b0; b < b1; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        for (let tap = 0; tap < blocks; tap++, o += block) {
          // The input rows [iy, iy + rows) of column ix that this block reads, and where they start in it.
          let iy = oy * g.strideH - g.padTop;
          let ix = 0;
          let rows = 1;
          let skip = 0;
          if (temporal) {
            skip = Math.max(0, -iy);
            rows = Math.max(0, Math.min(g.inH, iy + g.kh) - (iy + skip));
            iy += skip;
          } else {
            iy += Math.floor(tap / g.kw);
            ix = ox * g.strideW + (tap % g.kw) - g.padLeft;
            if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) rows = 0;
          }
          const span = rows * g.inC;
          const at = o + skip * g.inC;
          const s = ((b * g.inH + iy) * g.inW + ix) * g.inC;
          if (adjoint) {
            for (let k = 0; k < span; k++) x[s + k]! += col[at + k]!;
            continue;
          }
          if (at > o) col.fill(0, o, at);
          // A short span (a few channels) is cheaper to copy than to wrap in a subarray.
          if (span >= 16) col.set(x.subarray(s, s + span), at);
          else for (let k = 0; k < span; k++) col[at + k] = x[s + k]!;
          if (at + span < o + block) col.fill(0, at + span, o + block);
        }
      }
    }
  }
}

/** `[rows, cols]` → `[cols, rows]`, row-major. */
function transpose(a: TypedArray, rows: number, cols: number, out: Float32Array = new Float32Array(rows * cols)) {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

/** Batch elements per im2col chunk, at least 1. */
function chunkOf(g: ConvGeometry): number {
  const rowsPerExample = g.outH * g.outW * g.kh * g.kw * g.inC;
  return Math.max(1, Math.min(g.batch, Math.floor(MAX_COLUMN_FLOATS / Math.max(1, rowsPerExample))));
}

/** `a · b` on the backend's own `BatchMatMul` kernel (XNNPACK), both operands untransposed. */
function matMul(backend: WasmBackend, a: TensorInfo, b: TensorInfo): TensorInfo {
  const kernel = tf.getKernel('BatchMatMul', 'wasm');
  if (kernel === undefined) throw new Error('wasm backend has no BatchMatMul kernel');
  return (kernel.kernelFunc as KernelFunc)({
    inputs: { a, b },
    attrs: { transposeA: false, transposeB: false },
    backend: backend as unknown as tf.KernelBackend,
  }) as TensorInfo;
}

/**
 * The rows of dy (`[batch, outH, outW, outC]`) for batch elements `[b0, b1)` as a `[1, n, outC]`
 * matrix, n = (b1 − b0)·outH·outW: dy itself under that shape when they are the whole batch (no
 * copy), else a copy, pushed onto `made` for the caller to release.
 */
function dyRows(
  backend: WasmBackend,
  dy: TensorInfo,
  g: ConvGeometry,
  b0: number,
  b1: number,
  made: TensorInfo[],
): TensorInfo {
  const perExample = g.outH * g.outW * g.outC;
  const shape = [1, (b1 - b0) * g.outH * g.outW, g.outC];
  if (b0 === 0 && b1 === g.batch) return { dataId: dy.dataId, shape, dtype: 'float32' };
  const rows = backend.makeOutput(shape, 'float32');
  made.push(rows);
  heapView(backend, rows).set(heapView(backend, dy).subarray(b0 * perExample, b1 * perExample));
  return rows;
}

/** Disposes backend tensors made inside a kernel. */
function release(backend: WasmBackend, ...tensors: TensorInfo[]): void {
  for (const t of tensors) backend.disposeData(t.dataId);
}

/**
 * im2col, transposed: writes the receptive fields of output positions `(b, oy, ox)` for `b` in
 * `[b0, b1)` as the *columns* of `colT` (`[kh·kw·inC, (b1 - b0)·outH·outW]`, row-major; row
 * `(i·kw + j)·inC + c` holds tap `(i, j)` of channel `c`, zeros where a tap falls in the padding).
 * Its rows are in the filter's `[kh, kw, inC]` order, so `colT · dy` is the filter gradient in the
 * filter's own layout.
 *
 * @param x Input `[batch, inH, inW, inC]`, row-major.
 */
export function im2colTransposed(x: TypedArray, g: ConvGeometry, b0: number, b1: number, colT: Float32Array): void {
  const n = (b1 - b0) * g.outH * g.outW;
  let r = 0;
  for (let b = b0; b < b1; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++, r++) {
        for (let i = 0; i < g.kh; i++) {
          const iy = oy * g.strideH - g.padTop + i;
          for (let j = 0; j < g.kw; j++) {
            const ix = ox * g.strideW - g.padLeft + j;
            let row = (i * g.kw + j) * g.inC * n + r;
            if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) {
              for (let c = 0; c < g.inC; c++, row += n) colT[row] = 0;
              continue;
            }
            const s = ((b * g.inH + iy) * g.inW + ix) * g.inC;
            for (let c = 0; c < g.inC; c++, row += n) colT[row] = x[s + c]!;
          }
        }
      }
    }
  }
}

/**
 * The gradient of a 2-D convolution with respect to its filter, for TF.js's WebAssembly backend,
 * which ships no `Conv2DBackpropFilter` kernel (tfjs-backend-wasm 4.22), so models with conv2d
 * cannot train on it.
 *
 * dW[i, j, c, k] = Σ_{b, y, x} xPadded[b, y·s_h + i, x·s_w + j, c] · dy[b, y, x, k]: the transposed
 * im2col of x (`colT`, `[kh·kw·inC, N]`, N = batch·outH·outW, see {@link im2colTransposed}) times dy
 * (`[N, outC]`), one XNNPACK matrix product per chunk of the batch, whose result is already in the
 * filter's `[kh, kw, inC, outC]` layout. The im2col + GEMM formulation is Caffe's (Jia et al. 2014;
 * Chellapilla et al. 2006). XNNPACK repacks the right operand of every product, so the small dy is
 * put there rather than the im2col matrix (`dyᵀ · col` packed all of `col`: 2-4 ms a layer here
 * against about 1 ms); the backend's transposed matmul paths are about 10x slower than the plain
 * one, so the transposition is done in JS while gathering. NHWC only, dilation 1 (as TF.js requires
 * for this gradient).
 *
 * @throws Error for NCHW data.
 */
function conv2dBackpropFilter(args: KernelArgs): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as Conv2DGradAttrs & { filterShape: [number, number, number, number] };
  const backend = args.backend as WasmBackend;
  const g = geometry(x.shape as [number, number, number, number], attrs.filterShape, attrs);
  const k = g.kh * g.kw * g.inC;
  const perExample = g.outH * g.outW;
  const chunk = chunkOf(g);
  const out = backend.makeOutput(attrs.filterShape, 'float32');
  // An empty batch has a zero gradient; otherwise the first chunk overwrites every value.
  if (g.batch === 0) heapView(backend, out).fill(0);
  let done = false;
  try {
    for (let b0 = 0; b0 < g.batch; b0 += chunk) {
      const b1 = Math.min(g.batch, b0 + chunk);
      const n = (b1 - b0) * perExample;
      const made: TensorInfo[] = [];
      try {
        const colT = backend.makeOutput([1, k, n], 'float32');
        made.push(colT);
        const dyChunk = dyRows(backend, dy, g, b0, b1, made);
        im2colTransposed(heapView(backend, x), g, b0, b1, heapView(backend, colT));
        const product = matMul(backend, colT, dyChunk);
        made.push(product);
        const part = heapView(backend, product);
        const sum = heapView(backend, out);
        if (b0 === 0) sum.set(part);
        else for (let i = 0; i < sum.length; i++) sum[i]! += part[i]!;
      } finally {
        release(backend, ...made);
      }
    }
    done = true;
  } finally {
    if (!done) release(backend, out);
  }
  return out;
}

/**
 * The padding of the stride-1 correlation that computes a convolution's input gradient (see
 * {@link conv2dBackpropInput}): `[top, bottom, left, right]` in elements, or null when one would
 * be negative: `padTop ≥ kh` or `padLeft ≥ kw`, or a last window lying wholly in the bottom or right
 * padding (explicit or numeric paddings can make these; `same` and `valid` never do).
 */
function transposedPadding(g: ConvGeometry): [number, number, number, number] | null {
  const top = g.kh - 1 - g.padTop;
  const left = g.kw - 1 - g.padLeft;
  const bottom = g.inH + g.padTop - ((g.outH - 1) * g.strideH + 1);
  const right = g.inW + g.padLeft - ((g.outW - 1) * g.strideW + 1);
  return Math.min(top, left, bottom, right) < 0 ? null : [top, bottom, left, right];
}

/**
 * `Conv2D` or `DepthwiseConv2dNative` on the backend's own kernel (XNNPACK), stride 1, explicit
 * padding `[top, bottom, left, right]`.
 */
function convStride1(
  backend: WasmBackend,
  kernelName: 'Conv2D' | 'DepthwiseConv2dNative',
  x: TensorInfo,
  filter: TensorInfo,
  pad: readonly number[],
): TensorInfo {
  const kernel = tf.getKernel(kernelName, 'wasm');
  if (kernel === undefined) throw new Error(`wasm backend has no ${kernelName} kernel`);
  return (kernel.kernelFunc as KernelFunc)({
    inputs: { x, filter },
    attrs: {
      strides: [1, 1],
      pad: [
        [0, 0],
        [pad[0]!, pad[1]!],
        [pad[2]!, pad[3]!],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [1, 1],
    },
    backend: backend as unknown as tf.KernelBackend,
  }) as TensorInfo;
}

/**
 * The gradient of a 2-D convolution with respect to its input, replacing tfjs-backend-wasm 4.22's
 * own `Conv2DBackpropInput` (a direct loop, 3-18 ms per TC-ResNet8 layer at batch 64) with one
 * forward convolution on the backend's XNNPACK kernel, the transposed convolution of Dumoulin and
 * Visin (2016, "A guide to convolution arithmetic", section 4): dy is spread to stride 1 (zeros
 * between its rows and columns when the stride is above 1), then correlated with the filter rotated
 * by 180° and its channels swapped (`[kh, kw, outC, inC]`), padded by `kh − 1 − padTop` on top and
 * so that the output is `[batch, inH, inW, inC]`:
 *
 *   dx[b, y, x, c] = Σ_{i, j, k} dyUp[b, y + padTop − i, x + padLeft − j, k] · W[i, j, c, k].
 *
 * Where that padding would be negative (see {@link transposedPadding}; never for `same` or `valid`),
 * `colGrad = dy · Wᵀ` and col2im (the earlier formulation) are used instead. NHWC only, dilation 1.
 *
 * @throws Error for NCHW data.
 */
function conv2dBackpropInput(args: KernelArgs): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as Conv2DGradAttrs & { inputShape: [number, number, number, number] };
  const backend = args.backend as WasmBackend;
  const g = geometry(attrs.inputShape, filter.shape as [number, number, number, number], attrs);
  const pad = transposedPadding(g);
  if (pad === null) return conv2dBackpropInputByColumns(backend, dy, filter, g, attrs.inputShape);
  const made: TensorInfo[] = [];
  try {
    const rotated = backend.makeOutput([g.kh, g.kw, g.outC, g.inC], 'float32');
    made.push(rotated);
    const w = heapView(backend, filter);
    const r = heapView(backend, rotated);
    const taps = g.kh * g.kw;
    for (let t = 0; t < taps; t++) {
      const from = (taps - 1 - t) * g.inC * g.outC;
      for (let c = 0; c < g.inC; c++)
        for (let k = 0; k < g.outC; k++) r[t * g.outC * g.inC + k * g.inC + c] = w[from + c * g.outC + k]!;
    }
    let spread = dy;
    if (g.strideH > 1 || g.strideW > 1) {
      const upH = (g.outH - 1) * g.strideH + 1;
      const upW = (g.outW - 1) * g.strideW + 1;
      spread = backend.makeOutput([g.batch, upH, upW, g.outC], 'float32');
      made.push(spread);
      const up = heapView(backend, spread);
      const from = heapView(backend, dy);
      up.fill(0);
      for (let b = 0; b < g.batch; b++)
        for (let y = 0; y < g.outH; y++)
          for (let x = 0; x < g.outW; x++) {
            const s = ((b * g.outH + y) * g.outW + x) * g.outC;
            up.set(from.subarray(s, s + g.outC), ((b * upH + y * g.strideH) * upW + x * g.strideW) * g.outC);
          }
    }
    return convStride1(backend, 'Conv2D', spread, rotated, pad);
  } finally {
    release(backend, ...made);
  }
}

/**
 * The input gradient as `colGrad = dy · Wᵀ` (`[N, outC] · [outC, kh·kw·inC]`, XNNPACK, one product
 * per chunk of the batch), then col2im adds each tap back onto the input position it came from.
 */
function conv2dBackpropInputByColumns(
  backend: WasmBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  g: ConvGeometry,
  inputShape: [number, number, number, number],
): TensorInfo {
  const k = g.kh * g.kw * g.inC;
  const chunk = chunkOf(g);
  const dx = backend.makeOutput(inputShape, 'float32');
  // Everything made here but the result; on an error the result goes too.
  const made: TensorInfo[] = [];
  let done = false;
  try {
    const wT = backend.makeOutput([1, g.outC, k], 'float32');
    made.push(wT);
    transpose(heapView(backend, filter), k, g.outC, heapView(backend, wT));
    heapView(backend, dx).fill(0);
    for (let b0 = 0; b0 < g.batch; b0 += chunk) {
      const b1 = Math.min(g.batch, b0 + chunk);
      const colGrad = matMul(backend, dyRows(backend, dy, g, b0, b1, made), wT);
      made.push(colGrad);
      col2imAdd(heapView(backend, colGrad), g, b0, b1, heapView(backend, dx));
      release(backend, ...made.splice(1));
    }
    done = true;
  } finally {
    release(backend, ...made);
    if (!done) release(backend, dx);
  }
  return dx;
}

/**
 * Tiles `x` (`shape`, row-major) `reps[d]` times along each axis into `out` (`shape[d]·reps[d]`),
 * as `tf.tile`: innermost axis first, each finished block repeated with `copyWithin`.
 */
export function tileInto(x: TypedArray, shape: readonly number[], reps: readonly number[], out: TypedArray): void {
  const rank = shape.length;
  const outStride = new Array<number>(rank).fill(1);
  const inStride = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) {
    outStride[d] = outStride[d + 1]! * shape[d + 1]! * reps[d + 1]!;
    inStride[d] = inStride[d + 1]! * shape[d + 1]!;
  }
  const fill = (d: number, xOffset: number, outOffset: number): void => {
    if (d === rank - 1) for (let k = 0; k < shape[d]!; k++) out[outOffset + k] = x[xOffset + k]!;
    else for (let k = 0; k < shape[d]!; k++) fill(d + 1, xOffset + k * inStride[d]!, outOffset + k * outStride[d]!);
    const block = shape[d]! * outStride[d]!;
    for (let r = 1; r < reps[d]!; r++) out.copyWithin(outOffset + r * block, outOffset, outOffset + block);
  };
  if (rank === 0) out[0] = x[0]!;
  else fill(0, 0, 0);
}

/**
 * `Tile` for numeric tensors, replacing tfjs-backend-wasm 4.22's, which takes about 5 ms to tile a
 * `[1, 1, 1, 24]` batch-norm scale to `[64, 49, 1, 24]` (the FusedBatchNorm gradient does this for
 * every layer, every step); here it is a few `copyWithin` calls.
 *
 * @throws Error for string tensors (the wasm backend has none).
 */
function tile(args: KernelArgs): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  const { reps } = args.attrs as unknown as { reps: number[] };
  const backend = args.backend as WasmBackend;
  if (x.dtype === 'string') throw new Error('wasm Tile does not support string tensors');
  const outShape = x.shape.map((size, d) => size * reps[d]!);
  const out = backend.makeOutput(outShape, x.dtype);
  tileInto(typedView(backend, x), x.shape, reps, typedView(backend, out));
  return out;
}

/** Attributes of TF.js's `DepthwiseConv2dNativeBackpropFilter` and `...BackpropInput` kernels. */
interface DepthwiseGradAttrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Geometry of one NHWC depthwise convolution: input `[batch, inH, inW, inC]`, filter
 * `[kh, kw, inC, multiplier]`, output `[batch, outH, outW, inC·multiplier]` (output channel
 * `c·multiplier + m`), with dilations.
 */
export interface DepthwiseGeometry extends ConvGeometry {
  readonly multiplier: number;
  readonly dilationH: number;
  readonly dilationW: number;
}

function depthwiseGeometry(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: DepthwiseGradAttrs,
): DepthwiseGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
    'channelsLast',
  );
  return {
    ...fromConvInfo(info),
    multiplier: filterShape[3],
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
  };
}

/**
 * The loops of both depthwise gradients, over output pixels and in-bounds taps with the channels
 * innermost (contiguous in NHWC). `filter`: `out[i, j, c, m] += a[x pixel, c] · b[dy pixel, c·M + m]`
 * (a = x, b = dy, out = dw); `input`: `out[x pixel, c] += Σ_m a[dy pixel, c·M + m] · b[i, j, c, m]`
 * (a = dy, b = w, out = dx). `out` is zeroed first.
 */
function depthwiseGradLoops(
  which: 'filter' | 'input',
  a: Float32Array,
  b: Float32Array,
  g: DepthwiseGeometry,
  out: Float32Array,
): void {
  out.fill(0);
  const { inC, multiplier: m } = g;
  const outC = inC * m;
  for (let n = 0; n < g.batch; n++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++) {
        const dyBase = ((n * g.outH + oy) * g.outW + ox) * outC;
        for (let i = 0; i < g.kh; i++) {
          const iy = oy * g.strideH + i * g.dilationH - g.padTop;
          if (iy < 0 || iy >= g.inH) continue;
          for (let j = 0; j < g.kw; j++) {
            const ix = ox * g.strideW + j * g.dilationW - g.padLeft;
            if (ix < 0 || ix >= g.inW) continue;
            const xBase = ((n * g.inH + iy) * g.inW + ix) * inC;
            const wBase = (i * g.kw + j) * outC;
            if (which === 'filter' && m === 1) {
              for (let c = 0; c < inC; c++) out[wBase + c]! += a[xBase + c]! * b[dyBase + c]!;
            } else if (which === 'filter') {
              for (let c = 0; c < inC; c++) {
                const xv = a[xBase + c] as number;
                for (let k = 0; k < m; k++) out[wBase + c * m + k]! += xv * (b[dyBase + c * m + k] as number);
              }
            } else {
              for (let c = 0; c < inC; c++) {
                let sum = 0;
                for (let k = 0; k < m; k++) sum += (a[dyBase + c * m + k] as number) * (b[wBase + c * m + k] as number);
                out[xBase + c]! += sum;
              }
            }
          }
        }
      }
}

/**
 * Filter gradient of a depthwise convolution: `dw[i, j, c, m] = Σ x[b, oy·sh + i·dh − padTop,
 * ox·sw + j·dw − padLeft, c] · dy[b, oy, ox, c·M + m]`, into `dw` (`[kh, kw, inC, M]`, zeroed here).
 */
export function depthwiseFilterGrad(x: Float32Array, dy: Float32Array, g: DepthwiseGeometry, dw: Float32Array): void {
  depthwiseGradLoops('filter', x, dy, g, dw);
}

/**
 * Input gradient of a depthwise convolution: every `dy[b, oy, ox, c·M + m] · w[i, j, c, m]` added to
 * the input pixel its tap read, into `dx` (`[batch, inH, inW, inC]`, zeroed here). The general path;
 * with stride 1, dilation 1 and M = 1 the kernel below runs the backend's own convolution instead.
 */
export function depthwiseInputGrad(dy: Float32Array, w: Float32Array, g: DepthwiseGeometry, dx: Float32Array): void {
  depthwiseGradLoops('input', dy, w, g, dx);
}

/**
 * `DepthwiseConv2dNativeBackpropFilter` for the wasm backend, which has none: inputs `x`
 * `[batch, inH, inW, inC]` and `dy` `[batch, outH, outW, inC·M]`, attribute `filterShape`
 * `[kh, kw, inC, M]`; any strides, dilations and padding. Direct loops over the wasm heap
 * (`batch·outH·outW·kh·kw·inC·M` multiply-adds: 5 M for a 13-tap MatchboxNet layer of 64 channels
 * at batch 64, a few milliseconds).
 */
function depthwiseBackpropFilter(args: KernelArgs): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as DepthwiseGradAttrs & { filterShape: [number, number, number, number] };
  const backend = args.backend as WasmBackend;
  const g = depthwiseGeometry(x.shape as [number, number, number, number], attrs.filterShape, attrs);
  const out = backend.makeOutput([...attrs.filterShape], 'float32');
  depthwiseFilterGrad(heapView(backend, x), heapView(backend, dy), g, heapView(backend, out));
  return out;
}

/**
 * `DepthwiseConv2dNativeBackpropInput` for the wasm backend, which has none: inputs `dy` and
 * `filter` `[kh, kw, inC, M]`, attribute `inputShape` `[batch, inH, inW, inC]`. With stride 1,
 * dilation 1 and M = 1 (MatchboxNet's), the transposed convolution (as {@link conv2dBackpropInput})
 * is one forward depthwise convolution of dy with the filter rotated by 180° on the backend's own
 * kernel: `dx[b, y, x, c] = Σ_{i, j} dy[b, y + padTop − i, x + padLeft − j, c] · w[i, j, c]`;
 * otherwise {@link depthwiseInputGrad}'s loops.
 */
function depthwiseBackpropInput(args: KernelArgs): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as DepthwiseGradAttrs & { inputShape: [number, number, number, number] };
  const backend = args.backend as WasmBackend;
  const g = depthwiseGeometry(attrs.inputShape, filter.shape as [number, number, number, number], attrs);
  const pad = transposedPadding(g);
  const direct =
    g.strideH === 1 && g.strideW === 1 && g.dilationH === 1 && g.dilationW === 1 && g.multiplier === 1 && pad !== null;
  if (direct) {
    const rotated = backend.makeOutput([...filter.shape], 'float32');
    const w = typedView(backend, filter);
    const r = heapView(backend, rotated);
    const taps = g.kh * g.kw;
    for (let t = 0; t < taps; t++) r.set(w.subarray((taps - 1 - t) * g.inC, (taps - t) * g.inC), t * g.inC);
    const out = convStride1(backend, 'DepthwiseConv2dNative', dy, rotated, pad);
    release(backend, rotated);
    return out;
  }
  const out = backend.makeOutput([...attrs.inputShape], 'float32');
  depthwiseInputGrad(heapView(backend, dy), heapView(backend, filter), g, heapView(backend, out));
  return out;
}

/**
 * Kernels that make training on the `wasm` backend fast enough to use: `Conv2DBackpropFilter` (absent
 * from the backend), faster `Conv2DBackpropInput` and `Tile` (replacing the backend's), and the two
 * depthwise convolution gradients (absent; MatchboxNet's separable convolutions need them).
 * Registered once by `selectTfjsBackend` before the backend initialises.
 */
export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilter as KernelFunc },
  { kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2dBackpropInput as KernelFunc },
  { kernelName: 'Tile', backendName: 'wasm', kernelFunc: tile as KernelFunc },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    backendName: 'wasm',
    kernelFunc: depthwiseBackpropFilter as KernelFunc,
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    backendName: 'wasm',
    kernelFunc: depthwiseBackpropInput as KernelFunc,
  },
];

/** Registers {@link WASM_TRAINING_KERNELS} in place of the wasm backend's own (idempotent). */
export function registerWasmTrainingKernels(): void {
  for (const config of WASM_TRAINING_KERNELS) {
    if (tf.getKernel(config.kernelName, 'wasm')?.kernelFunc === config.kernelFunc) continue;
    if (tf.getKernel(config.kernelName, 'wasm') !== undefined) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
}
