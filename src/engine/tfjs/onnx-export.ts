import type * as tfl from '@tensorflow/tfjs-layers';
import onnxProto from 'onnx-proto';
import { KwsError } from '../../errors/index.js';

const { onnx } = onnxProto;

/** ONNX operator set the exporter targets (ONNX 1.8+, every onnxruntime since 1.6). */
export const ONNX_OPSET = 13;

type Layout = 'NHWC' | 'NCHW' | 'flat';

interface Value {
  readonly name: string;
  readonly layout: Layout;
}

/** The part of a tfjs-layers Layer the exporter reads. */
interface LayerView {
  readonly name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  getWeights(): Array<{ shape: number[]; dataSync(): Float32Array | Int32Array | Uint8Array }>;
  readonly inboundNodes: Array<{ inboundLayers: LayerView[] }>;
}

class GraphBuilder {
  readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private counter = 0;

  fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  node(
    opType: string,
    inputs: string[],
    hint: string,
    attributes: Array<InstanceType<typeof onnx.AttributeProto>> = [],
  ): string {
    const output = this.fresh(hint);
    this.nodes.push(
      onnx.NodeProto.create({ opType, input: inputs, output: [output], name: output, attribute: attributes }),
    );
    return output;
  }

  tensor(
    hint: string,
    dims: number[],
    values: Float32Array | readonly number[],
    dataType = onnx.TensorProto.DataType.FLOAT,
  ): string {
    const name = this.fresh(hint);
    const bytes =
      dataType === onnx.TensorProto.DataType.INT64
        ? new Uint8Array(BigInt64Array.from(values as readonly number[], (v) => BigInt(v)).buffer)
        : new Uint8Array(Float32Array.from(values).buffer);
    this.initializers.push(onnx.TensorProto.create({ name, dims, dataType, rawData: bytes }));
    return name;
  }
}

const ints = (name: string, values: number[]): InstanceType<typeof onnx.AttributeProto> =>
  onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
const intAttr = (name: string, value: number): InstanceType<typeof onnx.AttributeProto> =>
  onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });
const floatAttr = (name: string, value: number): InstanceType<typeof onnx.AttributeProto> =>
  onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value });
const stringAttr = (name: string, value: string): InstanceType<typeof onnx.AttributeProto> =>
  onnx.AttributeProto.create({
    name,
    type: onnx.AttributeProto.AttributeType.STRING,
    s: new TextEncoder().encode(value),
  });

function toLayout(g: GraphBuilder, value: Value, layout: 'NHWC' | 'NCHW'): Value {
  if (value.layout === layout || value.layout === 'flat') return value;
  const perm = layout === 'NCHW' ? [0, 3, 1, 2] : [0, 2, 3, 1];
  return { name: g.node('Transpose', [value.name], `to_${layout}`, [ints('perm', perm)]), layout };
}

function activation(g: GraphBuilder, value: Value, name: unknown): Value {
  switch (name) {
    case undefined:
    case null:
    case 'linear':
      return value;
    case 'relu':
      return { name: g.node('Relu', [value.name], 'relu'), layout: value.layout };
    case 'softmax':
      return { name: g.node('Softmax', [value.name], 'softmax', [intAttr('axis', -1)]), layout: value.layout };
    default:
      throw new KwsError('INVALID_ARGUMENT', `ONNX export: activation ${String(name)} is not supported`);
  }
}

/** Conv2D kernel `[kh, kw, in, out]` (TF.js) as ONNX `[out, in, kh, kw]`. */
function convWeights(kernel: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let i = 0; i < kh!; i++)
    for (let j = 0; j < kw!; j++)
      for (let c = 0; c < cin!; c++)
        for (let o = 0; o < cout!; o++) {
          out[((o * cin! + c) * kh! + i) * kw! + j] = kernel[((i * kw! + j) * cin! + c) * cout! + o] as number;
        }
  return out;
}

const pair = (v: unknown): number[] => (Array.isArray(v) ? (v as number[]) : [v as number, v as number]);

function exportLayer(g: GraphBuilder, layer: LayerView, inputs: Value[]): Value {
  const config = layer.getConfig();
  const weights = layer.getWeights().map((w) => ({ shape: w.shape, values: Float32Array.from(w.dataSync()) }));
  const first = inputs[0] as Value;
  switch (layer.getClassName()) {
    case 'Reshape': {
      const x = toLayout(g, first, 'NHWC');
      const shape = g.tensor(
        'shape',
        [4],
        [-1, ...(config['targetShape'] as number[])],
        onnx.TensorProto.DataType.INT64,
      );
      return { name: g.node('Reshape', [x.name, shape], 'reshape'), layout: 'NHWC' };
    }
    case 'Conv2D': {
      const x = toLayout(g, first, 'NCHW');
      const kernel = weights[0] as { shape: number[]; values: Float32Array };
      const w = g.tensor(
        'W',
        [kernel.shape[3]!, kernel.shape[2]!, kernel.shape[0]!, kernel.shape[1]!],
        convWeights(kernel.values, kernel.shape),
      );
      const inputsOnnx = [
        x.name,
        w,
        ...(weights[1] === undefined ? [] : [g.tensor('B', [weights[1].shape[0]!], weights[1].values)]),
      ];
      const attrs = [
        ints('kernel_shape', kernel.shape.slice(0, 2)),
        ints('strides', pair(config['strides'])),
        stringAttr('auto_pad', config['padding'] === 'same' ? 'SAME_UPPER' : 'VALID'),
      ];
      return activation(g, { name: g.node('Conv', inputsOnnx, 'conv', attrs), layout: 'NCHW' }, config['activation']);
    }
    case 'DepthwiseConv2D': {
      // A grouped Conv, one group per channel: TF.js `[kh, kw, C, M]` as ONNX `[C·M, 1, kh, kw]`.
      const x = toLayout(g, first, 'NCHW');
      const kernel = weights[0] as { shape: number[]; values: Float32Array };
      const [kh, kw, c, m] = kernel.shape as [number, number, number, number];
      const w = g.tensor('W', [c * m, 1, kh, kw], convWeights(kernel.values, [kh, kw, 1, c * m]));
      const inputsOnnx = [
        x.name,
        w,
        ...(weights[1] === undefined ? [] : [g.tensor('B', [weights[1].shape[0]!], weights[1].values)]),
      ];
      const attrs = [
        ints('kernel_shape', [kh, kw]),
        ints('strides', pair(config['strides'])),
        ints('dilations', pair(config['dilationRate'] ?? 1)),
        intAttr('group', c),
        stringAttr('auto_pad', config['padding'] === 'same' ? 'SAME_UPPER' : 'VALID'),
      ];
      return activation(g, { name: g.node('Conv', inputsOnnx, 'dwconv', attrs), layout: 'NCHW' }, config['activation']);
    }
    case 'BatchNormalization': {
      const x = toLayout(g, first, 'NCHW');
      const [gamma, beta, mean, variance] = weights as Array<{ shape: number[]; values: Float32Array }>;
      const c = mean!.shape[0]!;
      const names = [gamma, beta, mean, variance].map((t, i) =>
        g.tensor(['scale', 'bias', 'mean', 'var'][i]!, [c], t!.values),
      );
      return {
        name: g.node('BatchNormalization', [x.name, ...names], 'bn', [
          floatAttr('epsilon', config['epsilon'] as number),
        ]),
        layout: 'NCHW',
      };
    }
    case 'Activation':
      return activation(g, first, config['activation']);
    case 'Add': {
      // ONNX Add takes two inputs; Sum any number (an ensemble of three or more members' logits).
      const aligned = inputs.map((v) => toLayout(g, v, 'NCHW'));
      return {
        name: g.node(
          aligned.length === 2 ? 'Add' : 'Sum',
          aligned.map((v) => v.name),
          'add',
        ),
        layout: aligned[0]!.layout,
      };
    }
    case 'Average': {
      // An ensemble's mean of its members' probabilities (see buildEnsemble).
      const aligned = inputs.map((v) => toLayout(g, v, 'NCHW'));
      return {
        name: g.node(
          'Mean',
          aligned.map((v) => v.name),
          'mean',
        ),
        layout: aligned[0]!.layout,
      };
    }
    case 'GlobalAveragePooling2D': {
      const pooled = g.node('GlobalAveragePool', [toLayout(g, first, 'NCHW').name], 'gap');
      return { name: g.node('Flatten', [pooled], 'flatten', [intAttr('axis', 1)]), layout: 'flat' };
    }
    case 'MaxPooling2D': {
      const size = pair(config['poolSize']);
      const attrs = [
        ints('kernel_shape', size),
        ints('strides', pair(config['strides'] ?? size)),
        stringAttr('auto_pad', config['padding'] === 'same' ? 'SAME_UPPER' : 'VALID'),
      ];
      return { name: g.node('MaxPool', [toLayout(g, first, 'NCHW').name], 'maxpool', attrs), layout: 'NCHW' };
    }
    case 'Flatten':
      // TF.js flattens NHWC in row-major order; the dense weights that follow expect that order.
      return {
        name: g.node('Flatten', [toLayout(g, first, 'NHWC').name], 'flatten', [intAttr('axis', 1)]),
        layout: 'flat',
      };
    case 'Dropout':
      return first;
    case 'Dense': {
      const [kernel, bias] = weights as Array<{ shape: number[]; values: Float32Array }>;
      const inputsOnnx = [
        first.name,
        g.tensor('W', kernel!.shape, kernel!.values),
        ...(bias === undefined ? [] : [g.tensor('B', bias.shape, bias.values)]),
      ];
      return activation(g, { name: g.node('Gemm', inputsOnnx, 'dense'), layout: 'flat' }, config['activation']);
    }
    default:
      throw new KwsError(
        'INVALID_ARGUMENT',
        `ONNX export: layer type ${layer.getClassName()} (${layer.name}) is not supported`,
      );
  }
}

/**
 * Converts a TF.js layers model built by `buildModel` into an ONNX model (opset 13): same input
 * `features` `[batch, frames, bins, 1]` (NHWC, as TF.js), output `probabilities` `[batch, 12]` and,
 * when the model has a `logits` layer (every `buildModel` architecture), output `logits` `[batch, 12]`
 * (the softmax's input, for the energy score).
 * Inside, tensors are transposed to NCHW once for ONNX's Conv/BatchNormalization/pooling, and back
 * where a Reshape or Flatten needs TF.js's NHWC order. Dropout is dropped (inference).
 *
 * @returns The serialized `ModelProto` bytes (`model.onnx`).
 * @throws KwsError `INVALID_ARGUMENT` for a layer type or activation outside those the builders use.
 */
export function exportOnnx(model: tfl.LayersModel): Uint8Array {
  const g = new GraphBuilder();
  const values = new Map<string, Value>();
  const inputShape = model.inputs[0]!.shape;
  for (const layer of model.layers as unknown as LayerView[]) {
    if (layer.getClassName() === 'InputLayer') {
      values.set(layer.name, { name: 'features', layout: 'NHWC' });
      continue;
    }
    const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
    const inputs = inbound.map((l) => values.get(l.name) as Value);
    values.set(layer.name, exportLayer(g, layer, inputs));
  }
  const output = values.get(model.outputs[0]!.sourceLayer.name) as Value;
  g.nodes.push(
    onnx.NodeProto.create({
      opType: 'Identity',
      input: [output.name],
      output: ['probabilities'],
      name: 'probabilities',
    }),
  );
  // The classifier head's pre-softmax output, for the energy score (Liu et al. 2020).
  const logits = values.get('logits');
  if (logits !== undefined)
    g.nodes.push(
      onnx.NodeProto.create({ opType: 'Identity', input: [logits.name], output: ['logits'], name: 'logits' }),
    );
  const dim = (d: number | null): InstanceType<typeof onnx.TensorShapeProto.Dimension> =>
    d === null
      ? onnx.TensorShapeProto.Dimension.create({ dimParam: 'batch' })
      : onnx.TensorShapeProto.Dimension.create({ dimValue: d });
  const valueInfo = (name: string, shape: Array<number | null>): InstanceType<typeof onnx.ValueInfoProto> =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: onnx.TensorShapeProto.create({ dim: shape.map(dim) }),
        }),
      }),
    });
  const graph = onnx.GraphProto.create({
    name: model.name,
    node: g.nodes,
    initializer: g.initializers,
    input: [valueInfo('features', inputShape)],
    output: [
      valueInfo('probabilities', model.outputs[0]!.shape),
      ...(logits === undefined ? [] : [valueInfo('logits', model.outputs[0]!.shape)]),
    ],
  });
  const proto = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: ONNX_OPSET })],
    producerName: 'kws-serve',
    graph,
  });
  return onnx.ModelProto.encode(proto).finish();
}
