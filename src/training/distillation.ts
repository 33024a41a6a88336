import { isDeepStrictEqual } from 'node:util';
import { KwsError } from '../errors/index.js';
import { resolveFeatureConfig } from '../features/index.js';
import type { FeatureConfig } from '../features/index.js';
import { LABELS } from '../labels/index.js';
import type { ModelRegistry, VersionManifest } from '../registry/index.js';
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
  const manifest = registry.manifest(registry.resolve(distillFrom).version);
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
  if (!isDeepStrictEqual(resolveFeatureConfig(manifest.featureConfig), features))
    throw new KwsError(
      'INVALID_ARGUMENT',
      `teacher version ${manifest.version} computes other features than the model being trained (${JSON.stringify(manifest.featureConfig)} against ${JSON.stringify(features)})`,
    );
  return { manifest, weight: distillWeight ?? DEFAULT_DISTILL_WEIGHT };
}
