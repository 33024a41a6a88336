import onnxProto from 'onnx-proto';
import { KwsError } from '../../errors/index.js';
import { LABELS } from '../../labels/index.js';

const { onnx } = onnxProto;
type GraphProto = onnxProto.onnx.IGraphProto;
type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** What an imported model's chosen output holds: logits (softmax is added) or probabilities (rows summing to 1). */
export type ImportedOutput = 'probabilities' | 'logits';

/** The operator sets of the default ONNX domain an imported model may use: onnxruntime-node 1.30 runs 7 to 23. */
export const IMPORT_OPSETS = { min: 7, max: 23 } as const;

/**
 * How an imported model's features input is laid out, after the batch axis: `[frames, bins]`,
 * `[1, frames, bins]` (NCHW, PyTorch's `Conv2d`) or `[frames, bins, 1]` (NHWC, Keras); for a model
 * of the waveform (`waveform` features, its own front end), `[samples]` or `[1, samples]` (PyTorch's `Conv1d`).
 */
export type ImportedLayout =
  'frames-bins' | 'channel-frames-bins' | 'frames-bins-channel' | 'samples' | 'channel-samples';

/** What {@link wrapImportedOnnx} checks an external model against. */
export interface ImportGraphOptions {
  /** Feature frames and bins of the declared feature config (the input is `[batch, frames, bins]` in some layout). */
  readonly frames: number;
  readonly bins: number;
  /** The declared features are the waveform (`frames` samples, `bins` 1): the model has its own front end. */
  readonly waveform?: boolean;
  /** The model's output classes in its order: the 12 labels, each once. */
  readonly labels: readonly string[];
  /** What the output holds. */
  readonly output: ImportedOutput;
  /** The class scores output, when the graph has several; default its only output. */
  readonly outputName?: string;
}

/** What {@link wrapImportedOnnx} found in the external model. */
export interface InspectedOnnx {
  /** Version of the default-domain operator set it imports. */
  readonly opset: number;
  readonly inputName: string;
  /** Declared input dims, the batch axis first; null for a symbolic dim. */
  readonly inputShape: readonly (number | null)[];
  readonly layout: ImportedLayout;
  readonly outputName: string;
  /** Whether the output was reordered into kws-serve's label order (a `Gather` added). */
  readonly reordered: boolean;
}

/** Names the wrapper gives its own values; a graph that uses one has it renamed with this suffix. */
const OWN_NAMES = ['features', 'probabilities', 'logits'] as const;
const RENAMED_SUFFIX = '__imported';

/**
 * Checks an external ONNX model (a PyTorch or Keras export) and wraps it into kws-serve's model
 * contract, the one `exportOnnx` writes: input `features` `[batch, frames, bins, 1]` float32, output
 * `probabilities` `[batch, 12]` in {@link LABELS} order and, for a model that outputs logits,
 * `logits` `[batch, 12]` (so the energy score and temperature scaling work). The wrapper adds a
 * `Reshape` from `features` to the model's own input layout, a `Gather` that reorders its classes when
 * its label order differs, and a `Softmax` over logits; the model's graph is otherwise unchanged
 * (values it names `features`, `probabilities` or `logits` are renamed `<name>__imported`).
 *
 * Checks, each refused with a message naming it: the bytes decode as an ONNX `ModelProto`; the
 * default-domain opset is within {@link IMPORT_OPSETS}; one float input whose batch axis is
 * dynamic and whose other dims match `[frames, bins]` in one of the {@link ImportedLayout}s
 * (`[samples]` or `[1, samples]` with `waveform`; symbolic dims accepted where only one layout
 * fits; a raw-audio input without `waveform` is refused, naming the option); one float output (or `outputName`) of 12 classes
 * when its shape is declared; `labels` is a permutation of the 12 labels. Whether it runs and gives
 * finite outputs is for the caller to check with onnxruntime.
 *
 * @param bytes The external model file.
 * @returns The wrapped model's bytes and what was found.
 * @throws KwsError `MALFORMED` for bytes that are not an ONNX model; `INVALID_ARGUMENT` for a check that fails.
 */
export function wrapImportedOnnx(
  bytes: Uint8Array,
  options: ImportGraphOptions,
): { bytes: Uint8Array; inspected: InspectedOnnx } {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new KwsError('MALFORMED', `not an ONNX model: ${error instanceof Error ? error.message : String(error)}`);
  }
  const graph = model.graph;
  if (graph === null || graph === undefined || (graph.node ?? []).length === 0)
    throw new KwsError('MALFORMED', 'not an ONNX model: it has no graph');
  const opset = defaultOpset(model);
  const order = labelOrder(options.labels);
  const input = onlyInput(graph);
  const inputName = input.name ?? '';
  const inputShape = dimsOf(input, 'input');
  const layout = layoutOf(inputShape, options.frames, options.bins, options.waveform === true);
  const output = classOutput(graph, options.outputName);
  const outputName = output.name ?? '';
  const outputShape = dimsOf(output, 'output');
  const classes = outputShape[outputShape.length - 1];
  // An output whose shape is not declared is checked on the warm-up batch instead.
  if (outputShape.length > 0 && (outputShape.length !== 2 || (classes !== null && classes !== LABELS.length)))
    throw new KwsError(
      'INVALID_ARGUMENT',
      `output ${output.name} is [${outputShape.map((d) => d ?? '?').join(', ')}]; kws-serve needs [batch, ${LABELS.length}]`,
    );
  const reordered = order.some((v, i) => v !== i);
  renameOwnNames(graph); // input and output included, in place
  wire(graph, input, output, { ...options, layout, order: reordered ? order : null });
  return {
    bytes: onnx.ModelProto.encode(model).finish(),
    inspected: { opset, inputName, inputShape, layout, outputName, reordered },
  };
}

function defaultOpset(model: InstanceType<typeof onnx.ModelProto>): number {
  const entry = (model.opsetImport ?? []).find((o) => o.domain === '' || o.domain === 'ai.onnx' || !o.domain);
  const opset = Number(entry?.version ?? 0);
  if (!(opset >= IMPORT_OPSETS.min && opset <= IMPORT_OPSETS.max))
    throw new KwsError(
      'INVALID_ARGUMENT',
      `the model's opset ${opset} is outside ${IMPORT_OPSETS.min}-${IMPORT_OPSETS.max}, what onnxruntime-node runs`,
    );
  return opset;
}

/** Speech Commands' folder names for the two non-word classes, accepted as labels. */
const FOLDER_LABELS: Readonly<Record<string, string>> = { _silence_: 'silence', _unknown_: 'unknown' };

/** For each of kws-serve's labels, the index of the model's output that holds it (`_silence_`, `_unknown_` accepted). */
function labelOrder(given: readonly string[]): number[] {
  const labels = given.map((l) => FOLDER_LABELS[l] ?? l);
  const missing = LABELS.filter((l) => !labels.includes(l));
  const extra = labels.filter((l, i) => !(LABELS as readonly string[]).includes(l) || labels.indexOf(l) !== i);
  if (labels.length !== LABELS.length || missing.length > 0 || extra.length > 0)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `the model's labels must be the ${LABELS.length} labels ${LABELS.join(', ')} in its output order, each once` +
        (missing.length > 0 ? `; missing ${missing.join(', ')}` : '') +
        (extra.length > 0 ? `; not a label or repeated: ${extra.join(', ')}` : ''),
    );
  return LABELS.map((l) => labels.indexOf(l));
}

/** The graph's inputs that are fed (not initializers listed as inputs, as IR < 4 writes them). */
function inputsOf(graph: GraphProto): ValueInfoProto[] {
  const constants = new Set((graph.initializer ?? []).map((t) => t.name));
  return (graph.input ?? []).filter((v) => !constants.has(v.name ?? ''));
}

/** The graph's one fed input. */
function onlyInput(graph: GraphProto): ValueInfoProto {
  const inputs = inputsOf(graph);
  if (inputs.length !== 1)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `the model has ${inputs.length} inputs (${inputs.map((v) => v.name ?? '').join(', ')}); kws-serve feeds one`,
    );
  return inputs[0] as ValueInfoProto;
}

/** The output named `name`, or the graph's only output. */
function classOutput(graph: GraphProto, name: string | undefined): ValueInfoProto {
  const outputs = graph.output ?? [];
  const names = outputs.map((v) => v.name ?? '').join(', ');
  if (name !== undefined) {
    const found = outputs.find((v) => v.name === name);
    if (found === undefined)
      throw new KwsError('INVALID_ARGUMENT', `the model has no output named ${name} (it has ${names})`);
    return found;
  }
  if (outputs.length !== 1)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `the model has ${outputs.length} outputs (${names}); name the class scores (--output-name, GraphQL outputName)`,
    );
  return outputs[0] as ValueInfoProto;
}

/** A float tensor value's dims (null: symbolic or unknown). */
function dimsOf(value: ValueInfoProto, what: string): (number | null)[] {
  const tensor = value.type?.tensorType;
  if (tensor === null || tensor === undefined || tensor.elemType !== onnx.TensorProto.DataType.FLOAT)
    throw new KwsError('INVALID_ARGUMENT', `${what} ${value.name} is not a float32 tensor`);
  return (tensor.shape?.dim ?? []).map((d) => {
    const v = d.dimValue === null || d.dimValue === undefined ? 0 : Number(d.dimValue);
    return v > 0 ? v : null;
  });
}

function layoutOf(shape: readonly (number | null)[], frames: number, bins: number, waveform: boolean): ImportedLayout {
  const fits = (dims: readonly (number | null)[], want: readonly number[]): boolean =>
    dims.length === want.length && dims.every((d, i) => d === null || d === want[i]);
  const [batch, ...rest] = shape;
  const described = `[${shape.map((d) => d ?? '?').join(', ')}]`;
  const rawAudio =
    (shape.length === 2 && rest[0] === 16000) || (shape.length === 3 && rest[0] === 1 && rest[1] === 16000);
  if (rawAudio && !waveform)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `input ${described} looks like raw 16 kHz audio: declare waveform features (--features '{"type":"waveform"}'), or export the model after its front end`,
    );
  if (batch !== null && batch !== undefined)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `input ${described} has a fixed batch size of ${batch}; export it with a dynamic batch axis (PyTorch: dynamic_axes)`,
    );
  const layouts: Array<[ImportedLayout, number[]]> = waveform
    ? [
        ['samples', [frames]],
        ['channel-samples', [1, frames]],
      ]
    : [
        ['frames-bins', [frames, bins]],
        ['channel-frames-bins', [1, frames, bins]],
        ['frames-bins-channel', [frames, bins, 1]],
      ];
  const fitting = layouts.filter(([, want]) => fits(rest, want)).map(([layout]) => layout);
  if (fitting.length > 1)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `input ${described} fits both ${fitting.join(' and ')} layouts; export it with its feature dims fixed, so that kws-serve knows how to feed it`,
    );
  if (fitting.length === 1) return fitting[0] as ImportedLayout;
  if (waveform)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `input ${described} does not fit the declared waveform of ${frames} samples ([batch, ${frames}] or [batch, 1, ${frames}])`,
    );
  throw new KwsError(
    'INVALID_ARGUMENT',
    `input ${described} does not fit the declared features of ${frames} frames × ${bins} bins ` +
      `([batch, ${frames}, ${bins}], [batch, 1, ${frames}, ${bins}] or [batch, ${frames}, ${bins}, 1])`,
  );
}

/** Renames every value the graph names `features`, `probabilities` or `logits`, so the wrapper's names are free. */
function renameOwnNames(graph: GraphProto): void {
  const rename = (name: string | null | undefined): string =>
    (OWN_NAMES as readonly string[]).includes(name ?? '') ? `${name}${RENAMED_SUFFIX}` : (name ?? '');
  for (const node of graph.node ?? []) {
    node.input = (node.input ?? []).map(rename);
    node.output = (node.output ?? []).map(rename);
  }
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])])
    v.name = rename(v.name);
  for (const t of graph.initializer ?? []) t.name = rename(t.name);
}

function int64Tensor(name: string, values: readonly number[]): InstanceType<typeof onnx.TensorProto> {
  return onnx.TensorProto.create({
    name,
    dims: [values.length],
    dataType: onnx.TensorProto.DataType.INT64,
    rawData: new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer),
  });
}

function valueInfo(name: string, dims: Array<number | null>): ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) =>
            d === null
              ? onnx.TensorShapeProto.Dimension.create({ dimParam: 'batch' })
              : onnx.TensorShapeProto.Dimension.create({ dimValue: d }),
          ),
        }),
      }),
    }),
  });
}

/** Feeds the model's input from `features` and derives `probabilities` (and `logits`) from its output. */
function wire(
  graph: GraphProto,
  input: ValueInfoProto,
  output: ValueInfoProto,
  options: ImportGraphOptions & { layout: ImportedLayout; order: number[] | null },
): void {
  const { frames, bins } = options;
  const shape = {
    'frames-bins': [-1, frames, bins],
    'channel-frames-bins': [-1, 1, frames, bins],
    'frames-bins-channel': [-1, frames, bins, 1],
    samples: [-1, frames],
    'channel-samples': [-1, 1, frames],
  }[options.layout];
  const node = (
    opType: string,
    inputs: string[],
    out: string,
    attribute: Array<InstanceType<typeof onnx.AttributeProto>> = [],
  ) => onnx.NodeProto.create({ opType, input: inputs, output: [out], name: `kws_import_${out}`, attribute });
  const prepended = [node('Reshape', ['features', 'kws_import_shape'], input.name ?? '')];
  const appended: Array<InstanceType<typeof onnx.NodeProto>> = [];
  let scores = output.name ?? '';
  graph.initializer = [...(graph.initializer ?? []), int64Tensor('kws_import_shape', shape)];
  if (options.order !== null) {
    graph.initializer.push(int64Tensor('kws_import_order', options.order));
    const axis = onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 });
    appended.push(node('Gather', [scores, 'kws_import_order'], 'kws_import_ordered', [axis]));
    scores = 'kws_import_ordered';
  }
  const outputs = [valueInfo('probabilities', [null, LABELS.length])];
  if (options.output === 'logits') {
    const axis = onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 });
    appended.push(node('Identity', [scores], 'logits'), node('Softmax', [scores], 'probabilities', [axis]));
    outputs.push(valueInfo('logits', [null, LABELS.length]));
  } else {
    appended.push(node('Identity', [scores], 'probabilities'));
  }
  graph.node = [...prepended, ...(graph.node ?? []), ...appended];
  graph.input = [valueInfo('features', [null, frames, bins, 1]), ...(graph.input ?? []).filter((v) => v !== input)];
  graph.output = outputs;
}
