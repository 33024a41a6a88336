import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KwsError } from '../../errors/index.js';
import { openModelSession, writeSessionEnsemble } from '../../engine/index.js';
import type { ModelSession } from '../../engine/index.js';
import { ensureTfjsBackend } from '../../engine/tfjs/index.js';
import { FeatureExtractor, resolveFeatureConfig } from '../../features/index.js';
import { buildEnsemble } from '../../model/tfjs/index.js';
import type { EnsembleCombine } from '../../model/index.js';
import type { EnsembleSpec, ModelRegistry, VersionManifest } from '../../registry/index.js';
import { loadMembers, memberWeights } from './average-versions.js';
import { calibrationDataset, memberManifests, registerMemberVersion } from './member-versions.js';
import type { MemberCalibrationData } from './member-versions.js';
import { isOnnxOnly, refuseEnsemble } from '../version-kinds.js';
import type { TrainedVersion } from './train-version.js';

/** What {@link createEnsemble} needs. */
export interface CreateEnsembleOptions {
  /** Two or more distinct ready versions (numbers or aliases) of one label order; any architectures and features (of one sample rate and clip length); not ensembles. */
  readonly members: readonly (number | string)[];
  /** One weight per member, finite and >= 0, not all 0; normalised to sum 1. Default: equal. Unequal weights need `mean-logit`. */
  readonly weights?: readonly number[];
  /** How the members' outputs are combined (see `buildEnsemble`). Default `mean-logit`. */
  readonly combine?: EnsembleCombine;
  /** The Speech Commands dataset whose validation split calibrates the ensemble and whose testing split scores it. Default: the first member's training data, with its dataset options. */
  readonly dataDir?: string;
  /** Called with the new version's number once it is reserved. */
  readonly onBegin?: (version: number) => void;
}

/**
 * Registers an ensemble of versions as version N+1 (Lakshminarayanan et al. 2017; the Kaggle
 * winners' averaged models): one layers model (and `model.onnx`) that runs every member on the same
 * features and combines their outputs (`buildEnsemble`: `mean-logit`, the weighted mean of the
 * members' logits at their own temperatures, or `mean-prob`, the mean of their probabilities), so
 * it is served, batched, bulk-scored, evaluated and promoted like any version, one feature
 * computation a clip for all members. It is calibrated like a trained version on the dataset's
 * validation split (its own temperature, with `mean-logit`, and thresholds) and scores the testing
 * split. `version.json` records the members, weights, combine rule and member temperatures
 * (`ensemble`); archiving a member it uses is refused (see `ModelRegistry.archive`).
 *
 * @throws KwsError `INVALID_ARGUMENT` for fewer than two distinct members, a member that is itself
 *   an ensemble, members whose labels, sample rate or clip length differ (named), bad weights, or unequal
 *   weights with `mean-prob`; `NOT_FOUND` for an unknown version.
 */
export async function createEnsemble(registry: ModelRegistry, options: CreateEnsembleOptions): Promise<TrainedVersion> {
  const combine = options.combine ?? 'mean-logit';
  const manifests = memberManifests(registry, options.members, 'an ensemble', false, null);
  for (const m of manifests) refuseEnsemble(m, 'a member of another ensemble');
  const versions = manifests.map((m) => m.version);
  const weights = memberWeights(options.weights, versions.length);
  if (combine === 'mean-prob' && options.weights !== undefined && new Set(weights).size > 1)
    throw new KwsError('INVALID_ARGUMENT', 'mean-prob averages the members equally: weights need mean-logit');
  const temperatures = manifests.map((m) => m.calibration.temperature ?? 1);
  const first = manifests[0]!;
  const started = performance.now();
  // Members of other features must hear the same clip (checked before any data is read).
  const features = manifests.map((m) => resolveFeatureConfig(m.featureConfig));
  const mixed = features.some((f) => JSON.stringify(f) !== JSON.stringify(features[0]));
  if (mixed) {
    const bad = manifests.find(
      (_m, k) =>
        features[k]!.sampleRateHz !== features[0]!.sampleRateHz ||
        features[k]!.clipSamples !== features[0]!.clipSamples,
    );
    if (bad !== undefined)
      throw new KwsError(
        'INVALID_ARGUMENT',
        `version ${bad.version} takes ${resolveFeatureConfig(bad.featureConfig).clipSamples} samples at ${resolveFeatureConfig(bad.featureConfig).sampleRateHz} Hz, version ${first.version} ${features[0]!.clipSamples} at ${features[0]!.sampleRateHz} Hz: an ensemble's members hear the same clip`,
      );
  }
  const data = await calibrationDataset(first, options.dataDir);
  const spec = { members: versions, weights, combine, memberTemperatures: temperatures };
  // Members that a merged TF.js graph cannot hold (ONNX only, a model of words, other features) run as sessions.
  if (mixed || manifests.some((m) => isOnnxOnly(m) || m.words !== undefined))
    return createSessionEnsemble(registry, manifests, spec, data, started, options.onBegin, mixed);
  const backend = await ensureTfjsBackend();
  const models = await loadMembers(registry, versions);
  try {
    const ensemble = await buildEnsemble(
      models.map((model, k) => ({
        model,
        prefix: `v${versions[k]}_`,
        temperature: temperatures[k] as number,
        weight: weights[k] as number,
      })),
      combine,
    );
    try {
      return await registerMemberVersion(registry, ensemble, first, data, {
        options: { ensembleOf: versions },
        backend,
        kind: 'ensemble',
        started,
        ensemble: { ...spec, form: 'graph' },
        ...(options.onBegin === undefined ? {} : { onBegin: options.onBegin }),
      });
    } finally {
      ensemble.dispose();
    }
  } finally {
    for (const m of models) m.dispose();
  }
}

/**
 * An ensemble with an imported member or a model of words, as a session ensemble (`writeSessionEnsemble`): each member's
 * `model.onnx` copied into the version's `members/`, run by onnxruntime one after another on the same
 * features and combined as `buildEnsemble` would. Calibrated and registered like the merged form.
 *
 * @throws KwsError `INVALID_ARGUMENT` for `mean-logit` with a member imported as probabilities (no logits).
 */
async function createSessionEnsemble(
  registry: ModelRegistry,
  manifests: readonly VersionManifest[],
  spec: Omit<EnsembleSpec, 'form'>,
  data: MemberCalibrationData,
  started: number,
  onBegin: ((version: number) => void) | undefined,
  mixedFeatures: boolean,
): Promise<TrainedVersion> {
  const noLogits = manifests.find((m) => m.imported?.output === 'probabilities');
  if (spec.combine === 'mean-logit' && noLogits !== undefined)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `version ${noLogits.version} was imported as probabilities and has no logits, which mean-logit averages; use --combine mean-prob (GraphQL combine: "mean-prob")`,
    );
  const first = manifests[0]!;
  // Members of different features are fed the waveform and compute their own, once per config.
  const firstFeatures = resolveFeatureConfig(first.featureConfig);
  const featureConfig = mixedFeatures
    ? resolveFeatureConfig({
        type: 'waveform',
        sampleRateHz: firstFeatures.sampleRateHz,
        clipSamples: firstFeatures.clipSamples,
      })
    : first.featureConfig;
  const extractor = new FeatureExtractor(featureConfig);
  const geometry = { ...extractor.shape, classes: first.labels.length };
  const members = manifests.map((m, k) => ({
    name: `v${m.version}`,
    bytes: readFileSync(join(registry.resolve(m.version).dir, 'model.onnx')),
    weight: spec.weights[k] as number,
    temperature: spec.memberTemperatures[k] as number,
    ...(m.words === undefined ? {} : { words: m.words.groups }),
    ...(mixedFeatures ? { features: resolveFeatureConfig(m.featureConfig) } : {}),
  }));
  const staging = mkdtempSync(join(tmpdir(), 'kws-ensemble-'));
  let session: ModelSession | null = null;
  try {
    writeSessionEnsemble(staging, spec.combine, members);
    session = await openModelSession('onnx', staging, geometry, 'cpu');
    const run = session;
    return await registerMemberVersion(
      registry,
      {
        predict: (features: Float32Array, batch: number) => run.run(features, batch),
        writeTo: (dir) => void writeSessionEnsemble(dir, spec.combine, members),
      },
      first,
      data,
      {
        options: { ensembleOf: spec.members },
        backend: 'onnxruntime-node cpu',
        kind: 'ensemble',
        started,
        ensemble: { ...spec, form: 'sessions' },
        ...(mixedFeatures ? { featureConfig } : {}),
        ...(onBegin === undefined ? {} : { onBegin }),
      },
    );
  } finally {
    await session?.dispose();
    rmSync(staging, { recursive: true, force: true });
  }
}
