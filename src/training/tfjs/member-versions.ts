import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ExampleLoader, scanSpeechCommands } from '../../data/index.js';
import type { DatasetOptions, SpeechCommandsDataset } from '../../data/index.js';
import { KwsError } from '../../errors/index.js';
import { FeatureExtractor, resolveFeatureConfig } from '../../features/index.js';
import type { FeatureConfig } from '../../features/index.js';
import { exportOnnx, saveLayersModel } from '../../engine/tfjs/index.js';
import { listedArchitecture, storeCalibration, storeThresholds } from '../../registry/index.js';
import type { ModelRegistry, VersionManifest } from '../../registry/index.js';
import { loadClipSet } from '../clip-cache.js';
import { refuseImported } from '../version-kinds.js';
import type { ClipSet } from '../clip-cache.js';
import { clipSetFingerprint, noClips } from './calibrate-version.js';
import { loadLabelledSet } from './evaluate-version.js';
import { calibrateAndTest, layersPredictor } from './trainer.js';
import type { BatchPredictor } from './trainer.js';
import { codeVersion, datasetFingerprint, registerVersion } from './train-version.js';
import type { TrainedVersion } from './train-version.js';

/**
 * The manifests of the distinct ready versions `refs` names, for a version made from them (`what`:
 * "averaging", "an ensemble"): two or more, of one label order (and, with `sameArchitecture`, one
 * architecture, feature config and word vocabulary), none imported from ONNX unless `use` is null (`use`: what a
 * member would be, for the refusal).
 *
 * @throws KwsError `NOT_FOUND` for an unknown version; `INVALID_ARGUMENT` for fewer than two
 *   distinct versions, a repeated one, or a member whose architecture, labels or features differ (named).
 */
export function memberManifests(
  registry: ModelRegistry,
  refs: readonly (number | string)[],
  what: string,
  sameArchitecture: boolean,
  use: string | null,
): VersionManifest[] {
  const records = refs.map((ref) => registry.resolve(ref));
  const versions = [...new Set(records.map((r) => r.version))];
  if (versions.length < 2)
    throw new KwsError(
      'INVALID_ARGUMENT',
      versions.length === 0
        ? `${what} needs two or more distinct versions, got none`
        : `${what} needs two or more distinct versions, got only version ${versions.join(', ')}`,
    );
  if (versions.length !== records.length)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `members must be distinct versions, got ${records.map((r) => r.version).join(', ')}`,
    );
  const manifests = versions.map((v) => registry.manifest(v));
  if (use !== null) for (const m of manifests) refuseImported(m, use);
  const first = manifests[0]!;
  for (const m of manifests.slice(1)) {
    for (const [field, a, b] of [
      ['architecture', sameArchitecture ? m.architecture : '', sameArchitecture ? first.architecture : ''],
      // Averaged weights need the same outputs: the same words, or none.
      [
        'words',
        sameArchitecture ? (m.words?.vocabulary ?? null) : null,
        sameArchitecture ? (first.words?.vocabulary ?? null) : null,
      ],
      ['labels', m.labels, first.labels],
      // Resolved, so a manifest written before a field existed compares equal to one with its default.
      // An ensemble's members may differ: each then computes its own from the waveform (see createEnsemble).
      [
        'feature config',
        sameArchitecture ? resolveFeatureConfig(m.featureConfig) : null,
        sameArchitecture ? resolveFeatureConfig(first.featureConfig) : null,
      ],
    ] as const)
      if (JSON.stringify(a) !== JSON.stringify(b))
        throw new KwsError(
          'INVALID_ARGUMENT',
          `version ${m.version}'s ${field} differs from version ${first.version}'s`,
        );
  }
  return manifests;
}

/**
 * The clips a version made from members is calibrated and scored on: a Speech Commands dataset
 * (validation calibrates, testing scores), or a labelled folder in `kws eval`'s layout (`audio/` and
 * `labels.csv`) or the official test-set layout (`_silence_/`, `_unknown_/`), all of which
 * calibrates, as `kws calibrate` does, with nothing held out.
 */
export type MemberCalibrationData =
  | { readonly kind: 'dataset'; readonly dataDir: string; readonly dataset: SpeechCommandsDataset }
  | { readonly kind: 'labelled'; readonly dataDir: string };

/**
 * `dataDir` (either layout), or the first member's training data with its dataset options.
 *
 * @throws KwsError `INVALID_ARGUMENT` with neither a folder nor a first member.
 */
export async function calibrationDataset(
  first: VersionManifest | null,
  dataDir?: string,
): Promise<MemberCalibrationData> {
  if (dataDir !== undefined && existsSync(join(dataDir, 'labels.csv')) && existsSync(join(dataDir, 'audio')))
    return { kind: 'labelled', dataDir };
  if (dataDir === undefined && first === null)
    throw new KwsError('INVALID_ARGUMENT', 'name the clips to calibrate on (a dataset or a labelled folder)');
  const options = (first?.training.options ?? {}) as { seed?: number; dataset?: DatasetOptions };
  const dir = dataDir ?? first!.training.dataDir;
  if (dataDir === undefined && !existsSync(dir))
    throw new KwsError(
      'FILE_NOT_FOUND',
      `version ${first!.version}'s training data, ${dir}, is not there to calibrate on; name the clips with --data (GraphQL dataDir)`,
    );
  const dataset = await scanSpeechCommands(
    dir,
    dataDir === undefined ? { seed: options.seed ?? 1, ...options.dataset } : {},
  );
  // The official test-set layout is all testing: it all calibrates, as a labelled folder does.
  if (dataset.splitSource === 'test-set') return { kind: 'labelled', dataDir: dir };
  return { kind: 'dataset', dataDir: dir, dataset };
}

/**
 * The calibration and testing clips of `data`, and how the version records where they came from.
 *
 * @throws KwsError `INVALID_ARGUMENT` for a dataset without validation clips or a labelled folder without clips.
 */
export async function memberClipSets(
  data: MemberCalibrationData,
  clipSamples: number,
): Promise<{ validation: ClipSet; testing: ClipSet; fingerprint: string; options: Record<string, unknown> }> {
  if (data.kind === 'labelled') {
    const validation = (await loadLabelledSet(data.dataDir, clipSamples)).set;
    return { validation, testing: noClips(validation), fingerprint: clipSetFingerprint(validation), options: {} };
  }
  const loader = await ExampleLoader.create(data.dataset, clipSamples);
  const validation = await loadClipSet(data.dataset.examples.validation, loader, clipSamples);
  if (validation.size === 0)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `${data.dataDir} has no validation clips to calibrate on (a Speech Commands dataset, or a folder with audio/ and labels.csv)`,
    );
  const testing = await loadClipSet(data.dataset.examples.testing, loader, clipSamples);
  return {
    validation,
    testing,
    fingerprint: datasetFingerprint(data.dataset),
    options: { dataset: data.dataset.options },
  };
}

/**
 * The calibration, metrics and `training` record of a version that was calibrated on `clips`, not
 * trained (no epochs): an average, an ensemble, an imported model. Testing metrics are null when
 * nothing was held out.
 */
export function calibratedRecord(
  { calibration, validationMetrics, testingMetrics }: Awaited<ReturnType<typeof calibrateAndTest>>,
  clips: { readonly validation: ClipSet; readonly testing: ClipSet; readonly fingerprint: string },
  made: {
    readonly dataDir: string;
    readonly options: Readonly<Record<string, unknown>>;
    readonly backend: string;
    /** `performance.now()` when the work began. */
    readonly started: number;
  },
): Pick<VersionManifest, 'thresholds' | 'calibration' | 'metrics' | 'training'> {
  return {
    thresholds: storeThresholds(calibration.thresholds),
    calibration: storeCalibration(calibration),
    metrics: { validation: validationMetrics, testing: clips.testing.size === 0 ? null : testingMetrics },
    training: {
      dataDir: made.dataDir,
      dataFingerprint: clips.fingerprint,
      options: made.options,
      history: [],
      bestEpoch: 0,
      counts: { training: 0, validation: clips.validation.size, testing: clips.testing.size },
      backend: made.backend,
      seconds: (performance.now() - made.started) / 1000,
    },
  };
}

/** A model made from members that is not a TF.js layers model (a session ensemble): how it runs, and how its files are written. */
export interface OnnxMemberModel {
  /** Raw outputs (temperature 1) of `[batch, frames, bins]` features. */
  readonly predict: BatchPredictor;
  /** Writes its model files into a version folder. */
  readonly writeTo: (dir: string) => void;
}

/**
 * Calibrates `model` (made from members of `first`'s features and labels) on `data`'s calibration
 * clips, scores its testing clips, if any (`calibrateAndTest`), and registers it as version N+1:
 * `model.json`, `weights.bin`, `model.onnx` (or, for an {@link OnnxMemberModel}, what it writes) and a
 * `version.json` that is `first`'s (less its `ensemble` and `imported` records, and its `words` for an
 * ensemble) with the new
 * calibration, metrics and `training` record (`options` as given). The caller keeps `model`.
 *
 * @throws KwsError `INVALID_ARGUMENT` for a dataset without validation clips or a labelled folder
 *   without clips; AudioDecodeError naming a clip that does not decode.
 */
export async function registerMemberVersion(
  registry: ModelRegistry,
  model: tfl.LayersModel | OnnxMemberModel,
  first: VersionManifest,
  data: MemberCalibrationData,
  made: {
    readonly options: Readonly<Record<string, unknown>>;
    /** The TF.js backend, recorded; the result's `backend` adds `kind` in brackets. */
    readonly backend: string;
    readonly kind: 'averaged' | 'ensemble';
    readonly started: number;
    readonly ensemble?: VersionManifest['ensemble'];
    /** The version's features, when they are not `first`'s (an ensemble of members of different features takes the waveform). */
    readonly featureConfig?: FeatureConfig;
    readonly onBegin?: (version: number) => void;
  },
): Promise<TrainedVersion> {
  const featureConfig = made.featureConfig ?? first.featureConfig;
  const extractor = new FeatureExtractor(featureConfig);
  const { validation, testing, fingerprint, options } = await memberClipSets(data, extractor.config.clipSamples);
  const { calibration, validationMetrics, testingMetrics } = await calibrateAndTest(
    'writeTo' in model ? model.predict : layersPredictor(model, extractor.shape, first.words?.groups),
    validation,
    testing,
    extractor,
  );
  const listed = listedArchitecture({ architecture: first.architecture, ensemble: made.ensemble });
  return registerVersion(registry, listed, made.onBegin, async (pending) => {
    if ('writeTo' in model) model.writeTo(pending.dir);
    else {
      await saveLayersModel(model, pending.dir);
      writeFileSync(join(pending.dir, 'model.onnx'), exportOnnx(model));
    }
    // The new version is calibrated here without TTA, whatever its first member had.
    const { ensemble: _firstEnsemble, imported: _firstImported, words: firstWords, tta: _firstTta, ...base } = first;
    void _firstEnsemble;
    void _firstImported;
    void _firstTta;
    const manifest: VersionManifest = {
      ...base,
      featureConfig,
      version: pending.version,
      ...calibratedRecord(
        { calibration, validationMetrics, testingMetrics },
        { validation, testing, fingerprint },
        {
          dataDir: data.dataDir,
          options: { ...made.options, ...options },
          backend: made.backend,
          started: made.started,
        },
      ),
      ...(made.ensemble === undefined ? {} : { ensemble: made.ensemble }),
      // An average of models of words outputs their words; an ensemble answers the labels.
      ...(made.kind === 'averaged' && firstWords !== undefined ? { words: firstWords } : {}),
      codeVersion: codeVersion(),
      createdAt: new Date().toISOString(),
    };
    return { manifest, backend: `${made.backend} (${made.kind})` };
  });
}
