import type * as tfl from '@tensorflow/tfjs-layers';
import { atTemperature, openModelSession } from '../../engine/index.js';
import type { ModelOutput } from '../../engine/index.js';
import { ensureTfjsBackend, loadLayersModel } from '../../engine/tfjs/index.js';
import { FeatureExtractor } from '../../features/index.js';
import type { Thresholds } from '../../inference/index.js';
import { restoreThresholds, versionGeometry } from '../../registry/index.js';
import type { ModelRegistry, VersionManifest } from '../../registry/index.js';
import { layersPredictor } from './trainer.js';
import type { BatchPredictor } from './trainer.js';
import { isOnnxOnly } from '../version-kinds.js';

/** A ready version loaded for inference. */
export interface LoadedVersion {
  readonly manifest: VersionManifest;
  /** The TF.js layers model; null for a version with only ONNX models (imported, or an ensemble with an imported member), run by onnxruntime. */
  readonly model: tfl.LayersModel | null;
  readonly extractor: FeatureExtractor;
  readonly thresholds: Thresholds;
  /** The model's raw outputs (temperature 1), for calibration. */
  readonly raw: BatchPredictor;
  /**
   * One forward pass over `[batch, frames, bins]` features (row-major): `[batch, classes]`
   * probabilities at the version's temperature and `[batch]` energy scores (see `predictModelOutput`).
   */
  readonly predict: (features: Float32Array, batch: number) => Promise<ModelOutput>;
  /** Frees the model (or the onnxruntime session). */
  readonly dispose: () => Promise<void>;
}

/**
 * Loads a ready version's model and feature extractor: its TF.js layers model, or, for a version
 * imported from ONNX, an onnxruntime session on the CPU. The caller calls `dispose`.
 *
 * @param ref A version number or alias; `production` when omitted.
 * @throws KwsError `NOT_FOUND` for an unknown version; `MALFORMED` for a model that does not load.
 */
export async function loadVersion(registry: ModelRegistry, ref?: number | string): Promise<LoadedVersion> {
  const record = registry.resolve(ref);
  const manifest = registry.manifest(record.version);
  const extractor = new FeatureExtractor(manifest.featureConfig);
  const geometry = versionGeometry(manifest);
  const temperature = manifest.calibration.temperature ?? 1;
  let model: tfl.LayersModel | null = null;
  let raw: BatchPredictor;
  let dispose: () => Promise<void>;
  if (isOnnxOnly(manifest)) {
    const session = await openModelSession('onnx', record.dir, geometry, 'cpu');
    raw = (features, batch) => session.run(features, batch);
    dispose = () => session.dispose();
  } else {
    await ensureTfjsBackend();
    const layers = await loadLayersModel(record.dir);
    model = layers;
    raw = layersPredictor(layers, extractor.shape, geometry.words);
    dispose = async () => {
      layers.dispose();
    };
  }
  return {
    manifest,
    model,
    extractor,
    thresholds: restoreThresholds(manifest.thresholds),
    raw,
    predict: async (features, batch) => atTemperature(await raw(features, batch), batch, geometry.classes, temperature),
    dispose,
  };
}
