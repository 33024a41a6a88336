import type * as tfl from '@tensorflow/tfjs-layers';
import { atTemperature, averageViews, openModelSession, ttaViewCount, ttaViews } from '../../engine/index.js';
import type { ModelOutput, TtaSpec } from '../../engine/index.js';
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
  /** The version's test-time augmentation (`version.json` `tta`, made by `kws calibrate --tta`); null: none. */
  readonly tta: TtaSpec | null;
  /**
   * Calibrated outputs of fitted clips (`[clipSamples]` each), as serving answers them: `[n, classes]`
   * probabilities at the version's temperature and `[n]` energies, each the mean over the clip's
   * `ttaViews` under `tta` (default the version's own; null: the clip alone); `topWord` of the clip
   * as it is, for a model of words.
   */
  readonly predictClips: (clips: readonly Float32Array[], tta?: TtaSpec | null) => Promise<ModelOutput>;
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
  const predict = async (features: Float32Array, batch: number): Promise<ModelOutput> =>
    atTemperature(await raw(features, batch), batch, geometry.classes, temperature);
  const versionTta = manifest.tta ?? null;
  return {
    manifest,
    model,
    extractor,
    thresholds: restoreThresholds(manifest.thresholds),
    raw,
    predict,
    tta: versionTta,
    predictClips: async (clips, tta = versionTta) => {
      const views = ttaViewCount(tta);
      const all = tta === null ? clips : clips.flatMap((clip) => ttaViews(clip, tta, extractor.config.sampleRateHz));
      const out = await predict(extractor.computeBatch(all), all.length);
      const mean = averageViews(out, views, geometry.classes);
      return out.topWord === undefined || views === 1
        ? mean
        : { ...mean, topWord: Int32Array.from(clips, (_, k) => out.topWord![k * views] as number) };
    },
    dispose,
  };
}
