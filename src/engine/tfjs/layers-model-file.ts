import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fromFsError, KwsError } from '../../errors/index.js';
import { repairTopology } from '../../model/tfjs/index.js';

/** File names of a TF.js layers model inside a model version folder. */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** The `model.json` of the TF.js layers-model format (tfjs-converter's "layers-model"). */
export interface LayersModelJson {
  readonly format: 'layers-model';
  readonly generatedBy: string;
  readonly convertedBy: string | null;
  readonly modelTopology: tf.io.ModelArtifacts['modelTopology'];
  readonly weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

/**
 * Reads a TF.js layers model stored as `model.json` + `weights.bin` (one weights shard) in `dir`.
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
    if (error instanceof SyntaxError)
      throw new KwsError('MALFORMED', `${join(dir, MODEL_JSON)} is not valid JSON: ${error.message}`);
    throw fromFsError(error, dir, 'read');
  }
  if (json.format !== 'layers-model' || json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
    throw new KwsError('MALFORMED', `${join(dir, MODEL_JSON)} is not a TF.js layers model`);
  }
  const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  // Versions saved before saveLayersModel repaired the topology (see repairTopology) load too.
  const modelTopology = repairTopology(json.modelTopology);
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs, weightData }));
}
