import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ExampleLoader, scanSpeechCommands } from '../../data/index.js';
import type { DatasetOptions } from '../../data/index.js';
import { describeValue, KwsError } from '../../errors/index.js';
import { ensureTfjsBackend, exportOnnx, loadLayersModel, saveLayersModel } from '../../engine/tfjs/index.js';
import { storeCalibration, storeThresholds } from '../../registry/index.js';
import type { ModelRegistry, VersionManifest } from '../../registry/index.js';
import { loadClipSet } from '../clip-cache.js';
import { FeatureExtractor, resolveFeatureConfig } from '../../features/index.js';
import { calibrateAndTest } from './trainer.js';
import { codeVersion, datasetFingerprint, registerVersion } from './train-version.js';
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
 * @throws KwsError `INVALID_ARGUMENT` for fewer than two distinct members, members whose
 *   architecture, labels or feature config differ (named), or weights that are not one finite
 *   non-negative number per member with a positive sum; `NOT_FOUND` for an unknown version.
 */
export async function averageVersions(
  registry: ModelRegistry,
  options: AverageVersionsOptions,
): Promise<TrainedVersion> {
  const records = options.members.map((ref) => registry.resolve(ref));
  const versions = [...new Set(records.map((r) => r.version))];
  if (versions.length < 2)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `averaging needs two or more distinct versions, got only version ${versions.join(', ')}`,
    );
  if (versions.length !== records.length)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `members must be distinct versions, got ${records.map((r) => r.version).join(', ')}`,
    );
  const weights = memberWeights(options.weights, versions.length);
  const manifests = versions.map((v) => registry.manifest(v));
  const first = manifests[0]!;
  for (const m of manifests.slice(1)) {
    for (const [what, a, b] of [
      ['architecture', m.architecture, first.architecture],
      ['labels', m.labels, first.labels],
      // Resolved, so a manifest written before a field existed compares equal to one with its default.
      ['feature config', resolveFeatureConfig(m.featureConfig), resolveFeatureConfig(first.featureConfig)],
    ] as const)
      if (JSON.stringify(a) !== JSON.stringify(b))
        throw new KwsError(
          'INVALID_ARGUMENT',
          `version ${m.version}'s ${what} differs from version ${first.version}'s`,
        );
  }
  const started = performance.now();
  const trainingOptions = first.training.options as { seed?: number; dataset?: DatasetOptions };
  const dataDir = options.dataDir ?? first.training.dataDir;
  const dataset = await scanSpeechCommands(
    dataDir,
    options.dataDir === undefined ? { seed: trainingOptions.seed ?? 1, ...trainingOptions.dataset } : {},
  );
  const backend = await ensureTfjsBackend();
  const models = [];
  try {
    for (const v of versions) models.push(await loadLayersModel(registry.resolve(v).dir));
  } catch (error) {
    for (const m of models) m.dispose();
    throw error;
  }
  const model = models[0]!;
  try {
    const tensors = models.map((m) => m.getWeights());
    const mean = tf.tidy(() => tensors[0]!.map((_, i) => tf.addN(tensors.map((w, m) => tf.mul(w[i]!, weights[m]!)))));
    model.setWeights(mean);
    tf.dispose(mean);
    const extractor = new FeatureExtractor(first.featureConfig);
    const loader = await ExampleLoader.create(dataset, extractor.config.clipSamples);
    const validation = await loadClipSet(dataset.examples.validation, loader, extractor.config.clipSamples);
    const testing = await loadClipSet(dataset.examples.testing, loader, extractor.config.clipSamples);
    const { calibration, validationMetrics, testingMetrics } = calibrateAndTest(model, validation, testing, extractor);
    return await registerVersion(registry, first.architecture, options.onBegin, async (pending) => {
      await saveLayersModel(model, pending.dir);
      writeFileSync(join(pending.dir, 'model.onnx'), exportOnnx(model));
      const manifest: VersionManifest = {
        ...first,
        version: pending.version,
        thresholds: storeThresholds(calibration.thresholds),
        calibration: storeCalibration(calibration),
        metrics: { validation: validationMetrics, testing: testingMetrics },
        training: {
          dataDir,
          dataFingerprint: datasetFingerprint(dataset),
          options: {
            averagedFrom: versions,
            ...(options.weights === undefined ? {} : { averageWeights: weights }),
            dataset: dataset.options,
          },
          history: [],
          bestEpoch: 0,
          counts: { training: 0, validation: validation.size, testing: testing.size },
          backend,
          seconds: (performance.now() - started) / 1000,
        },
        codeVersion: codeVersion(),
        createdAt: new Date().toISOString(),
      };
      return { manifest, backend: `${backend} (averaged)` };
    });
  } finally {
    for (const m of models) m.dispose();
  }
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
  return weights.map((w) => w / sum);
}
