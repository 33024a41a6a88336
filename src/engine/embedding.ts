import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { energyFromLogits } from './logits.js';
import { importOnnxRuntime } from './onnx-runtime.js';
import type { ModelGeometry, ModelOutput } from './model-output.js';
import { isSessionEnsemble } from './session-ensemble.js';

/**
 * Which activations a cluster map is drawn from: `penultimate`, the layer the classifier reads (the
 * input of the last Gemm/MatMul, after global average pooling in TC-ResNet: `[batch, channels]`), or
 * `logits` for a model where that layer cannot be found (an ensemble, a model of words, an imported
 * graph of another shape): the pre-softmax outputs, `[batch, classes]`.
 */
export type EmbeddingLayer = 'penultimate' | 'logits';

/** A model output with each clip's embedding. */
export interface EmbeddedOutput extends ModelOutput {
  /** `[batch, dims]` activations of {@link layer}, row-major. */
  readonly embeddings: Float32Array;
  readonly dims: number;
  readonly layer: EmbeddingLayer;
}

/** A session that answers {@link EmbeddedOutput}s. */
export interface EmbeddingSession {
  /** @param features `[batch, frames, bins]` features, row-major. */
  run(features: Float32Array, batch: number): Promise<EmbeddedOutput>;
  dispose(): Promise<void>;
}

interface GraphNode {
  readonly opType?: string | null;
  readonly input?: readonly string[] | null;
  readonly output?: readonly string[] | null;
}

/**
 * The tensor the classifier reads in an ONNX graph: follows the `logits` output back through Identity
 * nodes to its producer; a Gemm or MatMul (or an Add of a MatMul and a bias) reads the embedding as
 * its first input. Null when the graph has no `logits` output or ends in anything else.
 */
export function penultimateTensor(nodes: readonly GraphNode[], logitsName = 'logits'): string | null {
  const producer = new Map<string, GraphNode>();
  for (const node of nodes) for (const out of node.output ?? []) producer.set(out, node);
  let node = producer.get(logitsName);
  while (node?.opType === 'Identity') node = producer.get(node.input?.[0] ?? '');
  if (node?.opType === 'Add') {
    const matmul = (node.input ?? []).map((name) => producer.get(name)).find((n) => n?.opType === 'MatMul');
    node = matmul;
  }
  if (node?.opType !== 'Gemm' && node?.opType !== 'MatMul') return null;
  return node.input?.[0] ?? null;
}

/**
 * Opens the version in `dir` on onnxruntime (CPU) with one more graph output, the layer its
 * classifier reads ({@link penultimateTensor}, found with onnx-proto, loaded only here, in an engine
 * thread). Null when the version is not one plain ONNX model with such a layer (an ensemble, a
 * model of words, an imported graph of another shape): the caller then uses the logits.
 *
 * @param geometry The version's `[frames, bins]` input and class count.
 */
export async function openEmbeddingSession(dir: string, geometry: ModelGeometry): Promise<EmbeddingSession | null> {
  const path = join(dir, 'model.onnx');
  if (!existsSync(path) || isSessionEnsemble(dir) || geometry.words !== undefined) return null;
  const { default: onnxProto } = await import('onnx-proto');
  const { onnx } = onnxProto;
  const model = onnx.ModelProto.decode(readFileSync(path));
  const graph = model.graph;
  if (graph === null || graph === undefined) return null;
  const embedding = penultimateTensor(graph.node ?? []);
  const hasProbabilities = (graph.output ?? []).some((o) => o.name === 'probabilities');
  if (embedding === null || !hasProbabilities) return null;
  graph.output = [
    ...(graph.output ?? []),
    onnx.ValueInfoProto.create({
      name: embedding,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } },
    }),
  ];
  const ort = await importOnnxRuntime();
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish(), {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const input = session.inputNames[0] ?? 'features';
  return {
    async run(features, batch) {
      const result = await session.run({
        [input]: new ort.Tensor('float32', features, [batch, geometry.frames, geometry.bins, 1]),
      });
      const embeddings = result[embedding]?.data as Float32Array;
      const logits = (result['logits']?.data as Float32Array | undefined) ?? null;
      return {
        probabilities: result['probabilities']?.data as Float32Array,
        energy:
          logits === null
            ? new Float32Array(batch).fill(Number.NaN)
            : energyFromLogits(logits, batch, geometry.classes),
        logits,
        embeddings,
        dims: embeddings.length / batch,
        layer: 'penultimate',
      };
    },
    dispose: () => session.release(),
  };
}

/**
 * The logits of an output as its embedding (`[batch, classes]`), or the log of its probabilities
 * when the model gives no logits (the same up to a constant per row).
 */
export function logitsAsEmbedding(out: ModelOutput, batch: number): EmbeddedOutput {
  const embeddings = out.logits ?? out.probabilities.map((p) => Math.log(Math.max(p, 1e-12)));
  return { ...out, embeddings, dims: embeddings.length / batch, layer: 'logits' };
}
