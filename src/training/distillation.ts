import { isDeepStrictEqual } from 'node:util';
import { KwsError } from '../errors/index.js';
import { resolveFeatureConfig } from '../features/index.js';
import type { FeatureConfig } from '../features/index.js';
import { LABELS } from '../labels/index.js';
import type { ModelRegistry, VersionManifest, VersionRecord } from '../registry/index.js';
import { DEFAULT_DISTILL_WEIGHT } from './train-options.js';

/** The options of a training request that {@link checkDistillation} reads. */
export interface DistillationRequest {
  readonly distillFrom?: number | null;
  readonly distillWeight?: number | null;
  readonly fineTuneOnly?: boolean | null;
  readonly baseVersion?: number | null;
  /** Features of a fresh model (ignored with `baseVersion`, whose features are kept). */
  readonly features?: Partial<FeatureConfig> | null;
}

/** The teacher's record; the registry's refusal names it as the teacher (`distillFrom`). */
function teacherRecord(registry: ModelRegistry, version: number): VersionRecord {
  try {
    return registry.resolve(version);
  } catch (error) {
    if (error instanceof KwsError)
      throw new KwsError(error.code, `the teacher (distillFrom): ${error.message}`, { cause: error });
    throw error;
  }
}

/** A checked teacher: its manifest and the weight of its probabilities in the target. */
export interface CheckedTeacher {
  readonly manifest: VersionManifest;
  /** λ in (0, 1]; `DEFAULT_DISTILL_WEIGHT` when the request gave none. */
  readonly weight: number;
}

/**
 * Checks the distillation options of a training request against the repository, before anything is
 * registered or decoded: the one check that `trainVersion`, `kws train` and GraphQL `retrain` share.
 * The teacher must be a ready version with the same 12 labels and the same feature config as the
 * model being trained (its architecture may differ). Ranges are `validateTrainOptions`' to check.
 *
 * @returns The teacher and its weight, or null without `distillFrom`.
 * @throws KwsError `INVALID_ARGUMENT` for `distillWeight` without `distillFrom`, a teacher with
 *   `fineTuneOnly` (the head learner trains on embeddings, not features), a teacher that is not ready,
 *   or one with other labels or features; `NOT_FOUND` for an unknown version (the teacher's, or the
 *   base version whose features the model keeps).
 */
export function checkDistillation(registry: ModelRegistry, request: DistillationRequest): CheckedTeacher | null {
  const { distillFrom, distillWeight } = request;
  if (distillFrom === undefined || distillFrom === null) {
    if (distillWeight !== undefined && distillWeight !== null)
      throw new KwsError('INVALID_ARGUMENT', 'distillWeight needs distillFrom, the teacher version to distil from');
    return null;
  }
  if (request.fineTuneOnly === true)
    throw new KwsError(
      'INVALID_ARGUMENT',
      'distillation trains the whole model: it cannot be combined with fineTuneOnly',
    );
  const manifest = registry.manifest(teacherRecord(registry, distillFrom).version);
  if (manifest.labels.join() !== LABELS.join())
    throw new KwsError(
      'INVALID_ARGUMENT',
      `teacher version ${manifest.version} has other labels (${manifest.labels.join(', ')})`,
    );
  const base =
    request.baseVersion === undefined || request.baseVersion === null
      ? null
      : registry.manifest(registry.resolve(request.baseVersion).version);
  const features = resolveFeatureConfig(base === null ? (request.features ?? undefined) : base.featureConfig);
  const teacherFeatures = resolveFeatureConfig(manifest.featureConfig);
  if (!isDeepStrictEqual(teacherFeatures, features)) {
    const keys = Object.keys({ ...teacherFeatures, ...features }) as Array<keyof FeatureConfig>;
    const differ = keys
      .filter((key) => !isDeepStrictEqual(teacherFeatures[key], features[key]))
      .map((key) => `${key} ${JSON.stringify(teacherFeatures[key])} against ${JSON.stringify(features[key])}`);
    throw new KwsError(
      'INVALID_ARGUMENT',
      `teacher version ${manifest.version} computes other features than the model being trained: ${differ.join(', ')}`,
    );
  }
  return { manifest, weight: distillWeight ?? DEFAULT_DISTILL_WEIGHT };
}
