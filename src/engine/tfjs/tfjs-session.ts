import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { energyFromLogits } from '../logits.js';
import { checkInput } from '../model-output.js';
import type { DeviceChoice, ModelGeometry, ModelOutput, ModelSession } from '../model-output.js';
import { loadLayersModel } from './layers-model-file.js';
import { selectTfjsBackend } from './tfjs-backend.js';

/** TF.js layers model on the best backend available (tensorflow, then wasm, then cpu). */
export async function openTfjsSession(
  dir: string,
  geometry: ModelGeometry,
  device: DeviceChoice,
): Promise<ModelSession> {
  const choice = await selectTfjsBackend(device === 'auto' ? 'tensorflow' : 'wasm');
  const model: tfl.LayersModel = await loadLayersModel(dir);
  const both = withLogits(model);
  return {
    engine: 'tfjs',
    provider: `tfjs ${choice.backend} (${choice.provider})`,
    geometry,
    async run(features, batch) {
      checkInput(geometry, features, batch);
      return predictModelOutput(both, features, batch, geometry);
    },
    dispose: async () => {
      model.dispose();
    },
  };
}

/**
 * One forward pass of a TF.js layers model over `[batch, frames, bins]` features (row-major), inside
 * `tf.tidy` (no tensor outlives it): `[batch, classes]` probabilities from the first output and
 * `[batch]` energy scores from the second, the logits (see {@link withLogits}); NaN energies when
 * the model has no second output.
 */
export function predictModelOutput(
  model: tfl.LayersModel,
  features: Float32Array,
  batch: number,
  geometry: ModelGeometry,
): ModelOutput {
  const [probabilities, logits] = tf.tidy(() => {
    const out = model.predict(tf.tensor4d(features, [batch, geometry.frames, geometry.bins, 1]));
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
  });
  return {
    probabilities: probabilities as Float32Array,
    energy:
      logits === undefined
        ? new Float32Array(batch).fill(Number.NaN)
        : energyFromLogits(logits, batch, logits.length / batch),
    logits: logits ?? null,
  };
}

/**
 * The model with a second output, its `logits` layer (the input of the final softmax), when it has
 * one (every `buildModel` architecture does); else the model itself. Shares the weights.
 */
export function withLogits(model: tfl.LayersModel): tfl.LayersModel {
  const logits = model.layers.find((layer) => layer.name === 'logits');
  if (logits === undefined || model.outputs.length !== 1) return model;
  return tfl.model({
    inputs: model.inputs,
    outputs: [model.outputs[0] as tfl.SymbolicTensor, logits.output as tfl.SymbolicTensor],
  });
}
