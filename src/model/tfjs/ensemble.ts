import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { KwsError } from '../../errors/index.js';
import type { EnsembleCombine } from '../architecture.js';
import { repairTopology } from './topology.js';

/** One member of {@link buildEnsemble}. */
export interface EnsembleMember {
  /** A model with input `[batch, frames, bins, 1]` and a `logits` dense layer under its softmax output `[batch, classes]` (every `buildModel` architecture, and ensembles of them). */
  readonly model: tfl.LayersModel;
  /** Prefix of the member's layer names in the ensemble (unique per member, e.g. `v3_`). */
  readonly prefix: string;
  /** The member's temperature T (its served probabilities are softmax(logits / T)), > 0. */
  readonly temperature: number;
  /** Its weight, >= 0; the weights of one ensemble sum to 1. */
  readonly weight: number;
}

/** A layer of a layers-model topology, as `LayersModel.toJSON(null, false)` writes it. */
interface LayerJson {
  class_name: string;
  name: string;
  config: Record<string, unknown> & { name?: string };
  inbound_nodes: Array<Array<[string, number, number, Record<string, unknown>]>>;
}

/** The functional-model topology of `LayersModel.toJSON(null, false)`. */
interface ModelJson {
  class_name: string;
  config: {
    name: string;
    layers: LayerJson[];
    input_layers: Array<[string, number, number]>;
    output_layers: Array<[string, number, number]>;
  };
}

/** The inbound reference of one layer on another's first output. */
const ref = (name: string): [string, number, number, Record<string, unknown>] => [name, 0, 0, {}];

/**
 * One member's layers for the ensemble's topology: every layer but its input, renamed with the
 * prefix and wired to the ensemble's shared `features` input; with `mean-logit`, its softmax output
 * is dropped (the ensemble adds the members' `logits`).
 *
 * @throws KwsError `INVALID_ARGUMENT` for a member whose output is not a softmax activation of a dense `logits` layer.
 */
function memberLayers(member: EnsembleMember, combine: EnsembleCombine): { layers: LayerJson[]; output: string } {
  const json = member.model.toJSON(null, false) as unknown as ModelJson;
  const input = json.config.input_layers[0]?.[0];
  const output = json.config.layers.find((l) => l.name === json.config.output_layers[0]?.[0]);
  if (
    json.config.input_layers.length !== 1 ||
    json.config.output_layers.length !== 1 ||
    output === undefined ||
    output.class_name !== 'Activation' ||
    output.config['activation'] !== 'softmax' ||
    output.inbound_nodes[0]?.[0]?.[0] !== 'logits' ||
    json.config.layers.find((l) => l.name === 'logits')?.class_name !== 'Dense'
  )
    throw new KwsError(
      'INVALID_ARGUMENT',
      `an ensemble member needs one input and a softmax output on a dense layer named logits; ${member.prefix.replace(/_$/, '')} does not have them`,
    );
  const rename = (name: string): string => (name === input ? 'features' : `${member.prefix}${name}`);
  const layers = json.config.layers
    .filter((l) => l.name !== input && !(combine === 'mean-logit' && l === output))
    .map((l) => ({
      ...l,
      name: rename(l.name),
      config: { ...l.config, name: rename(l.name) },
      inbound_nodes: l.inbound_nodes.map((node) => node.map(([name, i, j, kw]) => [rename(name), i, j, kw])),
    })) as LayerJson[];
  return { layers, output: rename(combine === 'mean-logit' ? 'logits' : output.name) };
}

/**
 * Builds one layers model that runs every member on the same input and combines their outputs, so
 * that an ensemble serves, exports to ONNX and batches like a single model:
 * - `mean-logit`: logits = Σ_k w_k · z_k / T_k (each member's logits at its own temperature, weighted),
 *   probabilities = softmax(logits). The ensemble has a `logits` layer, so it gets a temperature and
 *   an energy score of its own.
 * - `mean-prob`: probabilities = the mean of the members' softmax(z_k / T_k) (equal weights only:
 *   Lakshminarayanan et al. 2017, "Simple and scalable predictive uncertainty estimation using deep
 *   ensembles", average probabilities). No `logits` layer: temperature 1 and no energy score.
 * The weights w_k / T_k are folded into each member's `logits` kernel and bias. Members keep their
 * own architectures and weights (copied); their layers are renamed with their prefix.
 *
 * @param members Two or more; input `[batch, frames, bins, 1]` each, the same shape.
 * @returns A new model with input `features` `[batch, frames, bins, 1]` and output `probabilities` `[batch, classes]`. The caller disposes it.
 * @throws KwsError `INVALID_ARGUMENT` for fewer than two members, inputs or outputs of other shapes,
 *   a member without a `logits` layer under its softmax, unequal weights with `mean-prob`, or a
 *   temperature that is not > 0.
 */
export async function buildEnsemble(
  members: readonly EnsembleMember[],
  combine: EnsembleCombine,
): Promise<tfl.LayersModel> {
  if (members.length < 2) throw new KwsError('INVALID_ARGUMENT', 'an ensemble needs two or more members');
  const shapes = members.map((m) => JSON.stringify([m.model.inputs[0]?.shape, m.model.outputs[0]?.shape]));
  if (new Set(shapes).size !== 1)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `ensemble members must take and give the same shapes, got ${shapes.join(' and ')}`,
    );
  if (combine === 'mean-prob' && members.some((m) => Math.abs(m.weight - (members[0]?.weight ?? 0)) > 1e-12))
    throw new KwsError('INVALID_ARGUMENT', 'mean-prob averages the members equally: weights need mean-logit');
  const bad = members.find((m) => !(m.temperature > 0) || !Number.isFinite(m.temperature));
  if (bad !== undefined)
    throw new KwsError('INVALID_ARGUMENT', `a member's temperature must be > 0, got ${String(bad.temperature)}`);
  const first = members[0]!.model.toJSON(null, false) as unknown as ModelJson;
  const inputName = first.config.input_layers[0]?.[0];
  const inputLayer = first.config.layers.find((l) => l.name === inputName);
  if (inputLayer === undefined) throw new KwsError('INVALID_ARGUMENT', 'the first member has no input layer');
  const parts = members.map((m) => memberLayers(m, combine));
  const combined: LayerJson[] =
    combine === 'mean-logit'
      ? [
          {
            class_name: 'Add',
            name: 'logits',
            config: { name: 'logits', trainable: false },
            inbound_nodes: [parts.map((p) => ref(p.output))],
          },
          {
            class_name: 'Activation',
            name: 'probabilities',
            config: { name: 'probabilities', activation: 'softmax', trainable: false },
            inbound_nodes: [[ref('logits')]],
          },
        ]
      : [
          {
            class_name: 'Average',
            name: 'probabilities',
            config: { name: 'probabilities', trainable: false },
            inbound_nodes: [parts.map((p) => ref(p.output))],
          },
        ];
  const topology: ModelJson = {
    class_name: 'Model',
    config: {
      name: 'ensemble',
      layers: [
        { ...inputLayer, name: 'features', config: { ...inputLayer.config, name: 'features' } },
        ...parts.flatMap((p) => p.layers),
        ...combined,
      ],
      input_layers: [['features', 0, 0]],
      output_layers: [['probabilities', 0, 0]],
    },
  };
  const ensemble = await tfl.models.modelFromJSON({
    modelTopology: repairTopology(topology) as unknown as tf.io.ModelJSON['modelTopology'],
  });
  copyMemberWeights(ensemble, members, combine);
  return ensemble;
}

/** Copies each member's weights into its renamed layers, folding w_k / T_k (mean-logit) or 1 / T_k (mean-prob) into its `logits` layer. */
function copyMemberWeights(
  ensemble: tfl.LayersModel,
  members: readonly EnsembleMember[],
  combine: EnsembleCombine,
): void {
  for (const member of members) {
    for (const layer of member.model.layers) {
      const weights = layer.getWeights();
      if (weights.length === 0) continue;
      const target = ensemble.getLayer(`${member.prefix}${layer.name}`);
      if (layer.name !== 'logits') {
        target.setWeights(weights);
        continue;
      }
      const scale = (combine === 'mean-logit' ? member.weight : 1) / member.temperature;
      const scaled = weights.map((w) => tf.mul(w, scale));
      target.setWeights(scaled);
      tf.dispose(scaled);
    }
  }
}
