import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { LABELS } from '../../labels/index.js';
import { countByLabel } from '../../data/index.js';
import type { SpeechCommandsDataset } from '../../data/index.js';
import type { TfjsBackendName } from '../../engine/index.js';
import { KwsError, toSerializedError } from '../../errors/index.js';
import { exportOnnx } from '../../engine/tfjs/index.js';
import { storeCalibration, storeThresholds } from '../../registry/index.js';
import { loadLayersModel, saveLayersModel, selectTfjsBackend } from '../../engine/tfjs/index.js';
import type { ModelRegistry, PendingVersion, VersionManifest, VersionRecord } from '../../registry/index.js';
import { trainModel } from './trainer.js';
import { checkTrainInputs, validateTrainOptions } from '../train-options.js';
import { selectPseudoLabels } from './pseudo-labels.js';
import { checkDistillation } from '../distillation.js';
import { isOnnxOnly, refuseEnsemble, refuseImported } from '../version-kinds.js';
import { loadVersion } from './load-version.js';
import type { LoadedVersion } from './load-version.js';
import type { CheckedTeacher } from '../distillation.js';
import type { TrainResult } from './trainer.js';
import type { TrainOptions, TrainVersionOptions } from '../train-options.js';
import { PROJECT_ROOT } from '../../config/index.js';

/** The project's version, recorded in every model version. */
export function codeVersion(): string {
  return (JSON.parse(readFileSync(`${PROJECT_ROOT}/package.json`, 'utf8')) as { version: string }).version;
}

/** SHA-1 over the sorted (path, size) of every clip the dataset uses: which data a version saw. */
export function datasetFingerprint(dataset: SpeechCommandsDataset): string {
  const hash = createHash('sha1');
  const rows: string[] = [];
  for (const examples of Object.values(dataset.examples)) {
    for (const e of examples)
      rows.push(
        e.kind === 'word'
          ? `${e.split}\t${e.relativePath}\t${statSync(e.path).size}`
          : `${e.split}\tsilence\t${e.index}`,
      );
  }
  for (const row of rows.sort()) hash.update(`${row}\n`);
  hash.update(JSON.stringify(dataset.options));
  return hash.digest('hex');
}

/** What {@link trainVersion} made. */
export interface TrainedVersion {
  readonly record: VersionRecord;
  readonly manifest: VersionManifest;
  readonly backend: string;
}

/**
 * Reserves version N+1 (`registry.begin`), tells `onBegin` its number, lets `write` fill its private
 * folder and return its manifest, and commits it (renamed into place); if `write` throws, the version
 * is marked failed with the error's message and the error is rethrown, leaving every other version
 * untouched. The one way new versions are made (training, recalibration, averaging).
 */
export async function registerVersion(
  registry: ModelRegistry,
  architecture: string,
  onBegin: ((version: number) => void) | undefined,
  write: (pending: PendingVersion) => Promise<{ manifest: VersionManifest; backend: string }>,
): Promise<TrainedVersion> {
  const pending = registry.begin(architecture);
  onBegin?.(pending.version);
  try {
    const { manifest, backend } = await write(pending);
    return { record: registry.commit(pending, manifest), manifest, backend };
  } catch (error) {
    registry.fail(pending, toSerializedError(error).message);
    throw error;
  }
}

/**
 * Trains a new model version and registers it: reserves version N+1, trains (see `trainModel`),
 * writes `model.json`, `weights.bin`, `model.onnx` and `version.json` into a private folder and
 * renames it into place. Options and data are checked first, so a refused run registers nothing. A failure marks the version failed and leaves every other version, and serving, untouched.
 */
export async function trainVersion(registry: ModelRegistry, request: TrainVersionOptions): Promise<TrainedVersion> {
  const { baseVersion, distillFrom, distillWeight, onBegin, ...withPseudo } = request;
  const { pseudoLabelDir, pseudoLabelFrom, pseudoLabelConfidence, pseudoLabelMaxPerClass, ...rest } = withPseudo;
  // A base version fixes the architecture and the features; fine-tuning starts from its weights.
  const base =
    baseVersion === undefined || baseVersion === null ? null : registry.manifest(registry.resolve(baseVersion).version);
  if (base !== null) {
    refuseEnsemble(base, 'a base version', 'distil it instead (distillFrom)');
    refuseImported(base, 'a base version');
  }
  if (base !== null && base.words === undefined && rest.allWords === true)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `allWords trains a model of every word, from scratch or from an all-words base version; version ${base.version} answers the 12 labels`,
    );
  // An all-words base keeps its words: its model outputs them.
  const options: TrainOptions & { readonly backend?: TfjsBackendName } =
    base === null || base.architecture === 'imported'
      ? rest
      : {
          ...rest,
          architecture: base.architecture,
          features: base.featureConfig,
          ...(base.words === undefined ? {} : { allWords: true, wordVocabulary: base.words.vocabulary }),
        };
  const architecture = options.architecture ?? 'tc-resnet8';
  if (options.fineTuneOnly === true && base === null)
    throw new KwsError('INVALID_ARGUMENT', 'fineTuneOnly needs a baseVersion to start from');
  validateTrainOptions({
    ...options,
    distillFrom,
    distillWeight,
    pseudoLabelDir,
    pseudoLabelFrom,
    pseudoLabelConfidence,
    pseudoLabelMaxPerClass,
  });
  const teacher = checkDistillation(registry, { ...options, baseVersion, distillFrom, distillWeight });
  const distill = teacher === null ? {} : { distillFrom: teacher.manifest.version, distillWeight: teacher.weight };
  // Bad options or data are refused before a version number is taken: a teacher that does not load too.
  const dataset = await checkTrainInputs(options);
  // The backend first: probing the teacher loads a TF.js model, which needs an initialised backend.
  const backend = await selectTfjsBackend(options.backend ?? 'tensorflow');
  if (teacher !== null) await probeTeacher(registry, teacher.manifest);
  const pseudo =
    pseudoLabelDir === undefined || pseudoLabelDir === null
      ? null
      : await selectPseudoLabels(
          registry,
          {
            dir: pseudoLabelDir,
            from: pseudoLabelFrom as number, // validateTrainOptions refuses a folder without it
            ...(pseudoLabelConfidence === undefined || pseudoLabelConfidence === null
              ? {}
              : { confidence: pseudoLabelConfidence }),
            ...(pseudoLabelMaxPerClass === undefined || pseudoLabelMaxPerClass === null
              ? {}
              : { maxPerClass: pseudoLabelMaxPerClass }),
          },
          countByLabel(dataset).training,
        );
  return registerVersion(registry, architecture, onBegin, async (pending) => {
    const started = performance.now();
    const result = await trainWithModels(
      registry,
      pseudo === null ? options : { ...options, extraTraining: pseudo.examples },
      base?.version ?? null,
      teacher,
    );
    try {
      await saveLayersModel(result.model, pending.dir);
      writeFileSync(join(pending.dir, 'model.onnx'), exportOnnx(result.model));
    } finally {
      result.model.dispose();
    }
    const { onProgress: _progress, onEpoch: _epoch, ...recordedOptions } = options;
    void _progress;
    void _epoch;
    const manifest: VersionManifest = {
      schemaVersion: 1,
      version: pending.version,
      architecture: result.architecture,
      labels: LABELS,
      featureConfig: result.featureConfig,
      ...(result.words === null ? {} : { words: result.words }),
      thresholds: storeThresholds(result.validation.calibration.thresholds),
      metrics: { validation: result.validation.metrics, testing: result.testing },
      calibration: storeCalibration(result.validation.calibration),
      training: {
        dataDir: options.dataDir,
        dataFingerprint: datasetFingerprint(result.dataset),
        options: {
          ...recordedOptions,
          // The threads the steps ran on (fewer than asked on the tensorflow backend): the result depends on them.
          ...(result.threads > 1 || options.threads !== undefined ? { threads: result.threads } : {}),
          augment: result.augment,
          ...(base === null ? {} : { baseVersion: base.version }),
          ...distill,
          ...(pseudo === null ? {} : { pseudoLabels: pseudo.report }),
        },
        history: result.history,
        bestEpoch: result.bestEpoch,
        counts: result.counts,
        backend: backend.backend,
        seconds: (performance.now() - started) / 1000,
      },
      codeVersion: codeVersion(),
      createdAt: new Date().toISOString(),
    };
    return { manifest, backend: `${backend.backend} (${backend.provider})` };
  });
}

/**
 * Loads the base version (whose model the trainer takes over and returns) and the teacher (freed
 * here once training ends: its TF.js model, or, for a version with only ONNX models, its onnxruntime
 * session), then trains. On a failure every loaded model is freed.
 */
async function trainWithModels(
  registry: ModelRegistry,
  options: TrainOptions,
  base: number | null,
  teacher: CheckedTeacher | null,
): Promise<TrainResult> {
  const loaded: tfl.LayersModel[] = [];
  const load = async (version: number): Promise<tfl.LayersModel> => {
    const model = await loadLayersModel(registry.resolve(version).dir);
    loaded.push(model);
    return model;
  };
  let onnxTeacher: LoadedVersion | null = null;
  try {
    const initialModel = base === null ? undefined : await load(base);
    let taught: Partial<TrainOptions> = {};
    if (teacher !== null && (isOnnxOnly(teacher.manifest) || teacher.manifest.words !== undefined)) {
      onnxTeacher = await loadVersion(registry, teacher.manifest.version);
      taught = { teacherPredictor: onnxTeacher.raw, distillWeight: teacher.weight };
    } else if (teacher !== null) {
      const teacherModel = await load(teacher.manifest.version);
      taught = { teacherModel, distillWeight: teacher.weight };
    }
    const result = await trainModel({
      ...options,
      ...(initialModel === undefined ? {} : { initialModel }),
      ...taught,
    });
    taught.teacherModel?.dispose();
    return result;
  } catch (error) {
    for (const model of loaded) model.dispose();
    throw error;
  } finally {
    await onnxTeacher?.dispose();
  }
}

/**
 * Loads a distillation teacher once and frees it, so that one whose files are damaged is refused
 * before a version number is taken.
 *
 * @throws KwsError `MALFORMED` / `FILE_NOT_FOUND` from loading it.
 */
async function probeTeacher(registry: ModelRegistry, manifest: VersionManifest): Promise<void> {
  if (isOnnxOnly(manifest) || manifest.words !== undefined) {
    await (await loadVersion(registry, manifest.version)).dispose();
    return;
  }
  (await loadLayersModel(registry.resolve(manifest.version).dir)).dispose();
}
