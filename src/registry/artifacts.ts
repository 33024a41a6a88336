import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fromFsError, KwsError } from '../errors/index.js';

/** File names of a TF.js layers model inside a model version folder. */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** The `model.json` of the TF.js layers-model format (tfjs-converter's "layers-model"). */
interface LayersModelJson {
  readonly format: 'layers-model';
  readonly generatedBy: string;
  readonly convertedBy: string | null;
  readonly modelTopology: tf.io.ModelArtifacts['modelTopology'];
  readonly weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

function concatWeights(data: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(new Uint8Array(part), offset);
    offset += part.byteLength;
  }
  return out;
}

/**
 * Writes a TF.js layers model as `model.json` + `weights.bin` (one weights shard) in `dir`, the
 * format `tf.loadLayersModel` reads in browsers and Node alike.
 *
 * @throws KwsError `FILE_UNWRITABLE` when the folder cannot be written.
 */
export async function saveLayersModel(model: tfl.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const json: LayersModelJson = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      try {
        await writeFile(join(dir, WEIGHTS_BIN), concatWeights(artifacts.weightData as ArrayBuffer | ArrayBuffer[] | undefined));
        await writeFile(join(dir, MODEL_JSON), `${JSON.stringify(json)}\n`);
      } catch (error) {
        throw fromFsError(error, dir, 'write');
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/**
 * Reads a model written by {@link saveLayersModel} (or any single-shard TF.js layers model).
 *
 * @throws KwsError `FILE_NOT_FOUND` / `FILE_UNREADABLE` when the files are missing, `MALFORMED`
 *   when `model.json` is not a layers model.
 */
export async function loadLayersModel(dir: string): Promise<tfl.LayersModel> {
  let json: LayersModelJson;
  let weights: Uint8Array;
  try {
    json = JSON.parse(await readFile(join(dir, MODEL_JSON), 'utf8')) as LayersModelJson;
    weights = await readFile(join(dir, WEIGHTS_BIN));
  } catch (error) {
    if (error instanceof SyntaxError) throw new KwsError('MALFORMED', `${join(dir, MODEL_JSON)} is not valid JSON: ${error.message}`);
    throw fromFsError(error, dir, 'read');
  }
  if (json.format !== 'layers-model' || json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
    throw new KwsError('MALFORMED', `${join(dir, MODEL_JSON)} is not a TF.js layers model`);
  }
  const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
}
