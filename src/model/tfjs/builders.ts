import * as tfl from '@tensorflow/tfjs-layers';
import type { SymbolicTensor } from '@tensorflow/tfjs-layers';
import { KwsError } from '../../errors/index.js';
import type { FeatureShape } from '../../features/index.js';
import { ARCHITECTURES, isArchitecture } from '../architecture.js';
import type { Architecture, ModelOptions } from '../architecture.js';

/** Hands out distinct initialiser seeds so that every layer starts differently but reproducibly. */
class Seeds {
  private next: number;
  constructor(seed: number) {
    this.next = seed * 1000;
  }
  get(): number {
    return this.next++;
  }
}

interface Ctx {
  readonly seeds: Seeds;
  readonly l2: number;
}

function conv(
  ctx: Ctx,
  x: SymbolicTensor,
  filters: number,
  kernelSize: [number, number],
  strides: [number, number] = [1, 1],
): SymbolicTensor {
  return tfl.layers
    .conv2d({
      filters,
      kernelSize,
      strides,
      padding: 'same',
      useBias: false,
      kernelInitializer: tfl.initializers.heNormal({ seed: ctx.seeds.get() }),
      kernelRegularizer: ctx.l2 > 0 ? tfl.regularizers.l2({ l2: ctx.l2 }) : undefined,
    })
    .apply(x) as SymbolicTensor;
}

function bnRelu(x: SymbolicTensor, relu = true): SymbolicTensor {
  const y = tfl.layers.batchNormalization({}).apply(x) as SymbolicTensor;
  return relu ? (tfl.layers.activation({ activation: 'relu' }).apply(y) as SymbolicTensor) : y;
}

/**
 * One TC-ResNet residual block (Choi et al. 2019, figure 2): two 9x1 temporal convolutions with batch
 * normalisation, the first with stride `stride`; a 1x1 projection shortcut when the shape changes.
 */
function tcBlock(ctx: Ctx, x: SymbolicTensor, channels: number, stride: number): SymbolicTensor {
  let y = bnRelu(conv(ctx, x, channels, [9, 1], [stride, 1]));
  y = bnRelu(conv(ctx, y, channels, [9, 1]), false);
  let shortcut = x;
  if (stride !== 1 || x.shape[3] !== channels) shortcut = bnRelu(conv(ctx, x, channels, [1, 1], [stride, 1]));
  const sum = tfl.layers.add().apply([y, shortcut]) as SymbolicTensor;
  return tfl.layers.activation({ activation: 'relu' }).apply(sum) as SymbolicTensor;
}

/**
 * TC-ResNet (S. Choi et al., "Temporal Convolution for Real-time Keyword Spotting on Mobile Devices",
 * Interspeech 2019): the feature bins become the channels of a 1-D temporal convolution over frames,
 * `[frames, 1, bins]`; a 3x1 stem of 16 channels, residual blocks, global average pooling, dropout,
 * softmax. The paper reports on Speech Commands v0.01 (12 classes) 96.1 % for TC-ResNet8 (66K
 * parameters, blocks 24/32/48) and 96.2 % for TC-ResNet14 (137K, blocks 24,24/32,32/48,48);
 * width 1.5 reaches 96.6 %.
 */
function tcResNet(
  ctx: Ctx,
  input: SymbolicTensor,
  shape: FeatureShape,
  blocks: ReadonlyArray<[number, number]>,
  width: number,
): SymbolicTensor {
  let x = tfl.layers.reshape({ targetShape: [shape.frames, 1, shape.bins] }).apply(input) as SymbolicTensor;
  x = conv(ctx, x, Math.round(16 * width), [3, 1]);
  for (const [channels, stride] of blocks) x = tcBlock(ctx, x, Math.round(channels * width), stride);
  return tfl.layers.globalAveragePooling2d({}).apply(x) as SymbolicTensor;
}

/**
 * Depthwise convolution over frames: one `kernel` x 1 filter per channel, `same` padding, no bias
 * (the batch normalisation that follows has one).
 */
function depthwise(ctx: Ctx, x: SymbolicTensor, kernel: number): SymbolicTensor {
  return tfl.layers
    .depthwiseConv2d({
      kernelSize: [kernel, 1],
      depthMultiplier: 1,
      padding: 'same',
      useBias: false,
      depthwiseInitializer: tfl.initializers.heNormal({ seed: ctx.seeds.get() }),
      depthwiseRegularizer: ctx.l2 > 0 ? tfl.regularizers.l2({ l2: ctx.l2 }) : undefined,
    })
    .apply(x) as SymbolicTensor;
}

/**
 * A time-channel separable convolution (MatchboxNet's, after QuartzNet): a depthwise `kernel` x 1
 * convolution over frames, a pointwise 1 x 1 convolution to `channels`, batch normalisation.
 */
function separable(ctx: Ctx, x: SymbolicTensor, channels: number, kernel: number): SymbolicTensor {
  return bnRelu(conv(ctx, depthwise(ctx, x, kernel), channels, [1, 1]), false);
}

const relu = (x: SymbolicTensor): SymbolicTensor =>
  tfl.layers.activation({ activation: 'relu' }).apply(x) as SymbolicTensor;

/**
 * MatchboxNet-3x1x64 (S. Majumdar and B. Ginsburg, "MatchboxNet: 1D Time-Channel Separable
 * Convolutional Neural Network Architecture for Speech Commands Recognition", Interspeech 2020; the
 * layer table of NVIDIA NeMo's `matchboxnet_3x1x64_v1` configuration): the feature bins are the
 * channels of 1-D convolutions over frames, `[frames, 1, bins]`, as TC-ResNet's; a prologue separable
 * convolution (kernel 11, 128 channels), B = 3 residual blocks of R = 1 separable convolution with
 * C = 64 channels (kernels 13, 15, 17; the shortcut a 1 x 1 convolution with batch normalisation,
 * added before the ReLU), an epilogue separable convolution (kernel 29, 128 channels) and a 1 x 1
 * convolution (128 channels), then global average pooling. About 70K parameters on 40 bins (77K on
 * the paper's 64 MFCCs). Two differences from the paper: the epilogue's kernel 29 is not dilated
 * (TF.js has no gradient for dilated convolutions), and there is no dropout inside the blocks (the
 * builder's dropout comes before the classifier, as for TC-ResNet).
 */
function matchboxNet(ctx: Ctx, input: SymbolicTensor, shape: FeatureShape): SymbolicTensor {
  let x = tfl.layers.reshape({ targetShape: [shape.frames, 1, shape.bins] }).apply(input) as SymbolicTensor;
  x = relu(separable(ctx, x, 128, 11));
  for (const kernel of [13, 15, 17]) {
    const y = separable(ctx, x, 64, kernel);
    const shortcut = bnRelu(conv(ctx, x, 64, [1, 1]), false);
    x = relu(tfl.layers.add().apply([y, shortcut]) as SymbolicTensor);
  }
  x = relu(separable(ctx, x, 128, 29));
  x = bnRelu(conv(ctx, x, 128, [1, 1]));
  return tfl.layers.globalAveragePooling2d({}).apply(x) as SymbolicTensor;
}

/**
 * LeNet-style CNN (LeCun et al. 1998), the small baseline of the challenge talk: two 5x5
 * convolution + 2x2 max-pooling stages over the `[frames, bins]` image, then a 64-unit dense layer.
 */
function lenet(ctx: Ctx, input: SymbolicTensor, dropout: number): SymbolicTensor {
  let x = input;
  for (const filters of [16, 32]) {
    x = tfl.layers
      .conv2d({
        filters,
        kernelSize: 5,
        activation: 'relu',
        kernelInitializer: tfl.initializers.heNormal({ seed: ctx.seeds.get() }),
        kernelRegularizer: ctx.l2 > 0 ? tfl.regularizers.l2({ l2: ctx.l2 }) : undefined,
      })
      .apply(x) as SymbolicTensor;
    x = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(x) as SymbolicTensor;
  }
  x = tfl.layers.flatten().apply(x) as SymbolicTensor;
  x = tfl.layers.dropout({ rate: dropout, seed: ctx.seeds.get() }).apply(x) as SymbolicTensor;
  return tfl.layers
    .dense({ units: 64, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: ctx.seeds.get() }) })
    .apply(x) as SymbolicTensor;
}

/**
 * Builds an untrained model: input `[frames, bins, 1]` features, output `[numClasses]` softmax
 * probabilities.
 *
 * @param architecture One of {@link ARCHITECTURES}; `tc-resnet14-wide` is TC-ResNet14 at width 2, for GPUs;
 *   `matchboxnet-3x1x64` is MatchboxNet (Majumdar and Ginsburg 2020).
 * @param shape Feature shape of the version's `FeatureConfig` (98 x 40 by default).
 * @throws KwsError `INVALID_ARGUMENT` for an unknown architecture or out-of-range option.
 */
export function buildModel(
  architecture: Architecture,
  shape: FeatureShape,
  numClasses = 12,
  options: ModelOptions = {},
): tfl.LayersModel {
  if (!isArchitecture(architecture))
    throw new KwsError(
      'INVALID_ARGUMENT',
      `unknown architecture "${String(architecture)}"; choose one of ${ARCHITECTURES.join(', ')}`,
    );
  const dropout = options.dropout ?? (architecture === 'lenet' ? 0.25 : 0.5);
  const l2 = options.l2 ?? 1e-4;
  if (!(dropout >= 0 && dropout < 1))
    throw new KwsError('INVALID_ARGUMENT', `dropout must be in [0, 1), got ${dropout}`);
  if (!(l2 >= 0 && l2 < 1)) throw new KwsError('INVALID_ARGUMENT', `l2 must be in [0, 1), got ${l2}`);
  const ctx: Ctx = { seeds: new Seeds(options.seed ?? 1), l2 };
  const input = tfl.input({ shape: [shape.frames, shape.bins, 1], name: 'features' });
  let x: SymbolicTensor;
  switch (architecture) {
    case 'lenet':
      x = lenet(ctx, input, dropout);
      break;
    case 'tc-resnet8':
      x = tcResNet(
        ctx,
        input,
        shape,
        [
          [24, 2],
          [32, 2],
          [48, 2],
        ],
        1,
      );
      break;
    case 'tc-resnet14':
      x = tcResNet(
        ctx,
        input,
        shape,
        [
          [24, 2],
          [24, 1],
          [32, 2],
          [32, 1],
          [48, 2],
          [48, 1],
        ],
        1,
      );
      break;
    case 'tc-resnet14-wide':
      x = tcResNet(
        ctx,
        input,
        shape,
        [
          [24, 2],
          [24, 1],
          [32, 2],
          [32, 1],
          [48, 2],
          [48, 1],
        ],
        2,
      );
      break;
    case 'matchboxnet-3x1x64':
      x = matchboxNet(ctx, input, shape);
      break;
    default: {
      const unreachable: never = architecture;
      throw new KwsError('INVALID_ARGUMENT', `unknown architecture ${String(unreachable)}`);
    }
  }
  if (architecture !== 'lenet')
    x = tfl.layers.dropout({ rate: dropout, seed: ctx.seeds.get() }).apply(x) as SymbolicTensor;
  const logits = tfl.layers
    .dense({
      units: numClasses,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: ctx.seeds.get() }),
      name: 'logits',
    })
    .apply(x) as SymbolicTensor;
  const probabilities = tfl.layers
    .activation({ activation: 'softmax', name: 'probabilities' })
    .apply(logits) as SymbolicTensor;
  return tfl.model({ inputs: input, outputs: probabilities, name: architecture });
}
