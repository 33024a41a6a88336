import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fromFsError } from '../../errors/index.js';
import { WEIGHTS_BIN, MODEL_JSON } from './layers-model-file.js';
import type { LayersModelJson } from './layers-model-file.js';
import { repairTopology } from '../../model/tfjs/index.js';

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
        modelTopology: repairTopology(artifacts.modelTopology),
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      try {
        await writeFile(
          join(dir, WEIGHTS_BIN),
          concatWeights(artifacts.weightData as ArrayBuffer | ArrayBuffer[] | undefined),
        );
        await writeFile(join(dir, MODEL_JSON), `${JSON.stringify(json)}\n`);
      } catch (error) {
        throw fromFsError(error, dir, 'write');
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}
