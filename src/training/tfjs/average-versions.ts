import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { describeValue, KwsError } from '../../errors/index.js';
import { ensureTfjsBackend, loadLayersModel } from '../../engine/tfjs/index.js';
import type { ModelRegistry } from '../../registry/index.js';
import { calibrationDataset, memberManifests, registerMemberVersion } from './member-versions.js';
import { refuseEnsemble } from '../version-kinds.js';
import type { TrainedVersion } from './train-version.js';

/** What {@link averageVersions} needs. */
export interface AverageVersionsOptions {
  /** Two or more distinct ready versions (numbers or aliases) of one architecture and feature config. */
  readonly members: readonly (number | string)[];
  /**
   * One weight per member, in `members` order: finite and >= 0, not all 0; normalised to sum 1.
   * Default: equal weights (the uniform soup). Weights make it a weight-space interpolation, as
   * WiSE-FT (Wortsman et al. 2022, "Robust fine-tuning of zero-shot models") mixes a base version
   * with its fine-tune: `--members 1,7 --weights 0.3,0.7` keeps some of the base's robustness.
   */
  readonly weights?: readonly number[];
  /**
   * The Speech Commands dataset whose validation split calibrates the average (temperature and
   * thresholds) and whose testing split scores it. Default: the first member's training data, with its
   * dataset options.
   */
  readonly dataDir?: string;
  /** Called with the new version's number once it is reserved. */
  readonly onBegin?: (version: number) => void;
}

/**
 * A "model soup" (Wortsman et al. 2022, "Model soups: averaging weights of multiple fine-tuned models
 * improves accuracy without increasing inference time", the uniform soup): registers as version N+1
 * the element-wise mean of the members' weights (batch-norm statistics included), then calibrates it
 * like a trained version (`calibrateAndTest` on the dataset's validation split: temperature, silence
 * floor, unknown rules) and scores the testing split. It serves like any version, at one model's cost.
 * Averaging is meant for fine-tunes of one base version (they stay in one basin of the loss); the
 * average of unrelated models is refused by nothing but is usually poor, so evaluate it. The version
 * records `training.options.averagedFrom` (the member versions).
 *
 * @throws KwsError `INVALID_ARGUMENT` for fewer than two distinct members, an ensemble member, members whose
 *   architecture, labels or feature config differ (named), or weights that are not one finite
 *   non-negative number per member with a positive sum; `NOT_FOUND` for an unknown version.
 */
export async function averageVersions(
  registry: ModelRegistry,
  options: AverageVersionsOptions,
): Promise<TrainedVersion> {
  const manifests = memberManifests(registry, options.members, 'averaging', true, 'averaged');
  for (const m of manifests) refuseEnsemble(m, 'averaged');
  const versions = manifests.map((m) => m.version);
  const weights = memberWeights(options.weights, versions.length);
  const first = manifests[0]!;
  const started = performance.now();
  const data = await calibrationDataset(first, options.dataDir);
  const backend = await ensureTfjsBackend();
  const models = await loadMembers(registry, versions);
  const model = models[0]!;
  try {
    const tensors = models.map((m) => m.getWeights());
    const mean = tf.tidy(() => tensors[0]!.map((_, i) => tf.addN(tensors.map((w, m) => tf.mul(w[i]!, weights[m]!)))));
    model.setWeights(mean);
    tf.dispose(mean);
    return await registerMemberVersion(registry, model, first, data, {
      options: { averagedFrom: versions, ...(options.weights === undefined ? {} : { averageWeights: weights }) },
      backend,
      kind: 'averaged',
      started,
      ...(options.onBegin === undefined ? {} : { onBegin: options.onBegin }),
    });
  } finally {
    for (const m of models) m.dispose();
  }
}

/** The layers models of `versions`, loaded in order; none is left loaded when one fails. The caller disposes them. */
export async function loadMembers(registry: ModelRegistry, versions: readonly number[]): Promise<tfl.LayersModel[]> {
  const models: tfl.LayersModel[] = [];
  try {
    for (const v of versions) models.push(await loadLayersModel(registry.resolve(v).dir));
  } catch (error) {
    for (const m of models) m.dispose();
    throw error;
  }
  return models;
}

/**
 * The normalised weights of `count` members: equal when none are given.
 *
 * @returns `[count]` weights summing to 1.
 * @throws KwsError `INVALID_ARGUMENT` for a count mismatch, a negative or non-finite weight, or a zero sum.
 */
export function memberWeights(weights: readonly number[] | undefined, count: number): number[] {
  if (weights === undefined) return Array.from({ length: count }, () => 1 / count);
  if (weights.length !== count)
    throw new KwsError('INVALID_ARGUMENT', `expected ${count} weights (one per member), got ${weights.length}`);
  const bad = weights.find((w) => !Number.isFinite(w) || w < 0);
  if (bad !== undefined)
    throw new KwsError('INVALID_ARGUMENT', `weights must be finite and >= 0, got ${describeValue(bad)}`);
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) throw new KwsError('INVALID_ARGUMENT', 'weights must not all be 0');
  if (!Number.isFinite(sum))
    throw new KwsError('INVALID_ARGUMENT', `weights must have a finite sum, got ${weights.join(', ')}`);
  return weights.map((w) => w / sum);
}
