import { createHash } from 'node:crypto';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { KwsError } from '../../errors/index.js';
import { SESSION_ENSEMBLE_FILE, SESSION_ENSEMBLE_MEMBERS, validateTta } from '../../engine/index.js';
import type { TtaSpec } from '../../engine/index.js';
import { MODEL_JSON, WEIGHTS_BIN } from '../../engine/tfjs/index.js';
import { storeCalibration, storeThresholds } from '../../registry/index.js';
import type { ModelRegistry, VersionManifest } from '../../registry/index.js';
import type { ClipSet } from '../clip-cache.js';
import { loadLabelledSet } from './evaluate-version.js';
import { calibrateAndTest } from './trainer.js';
import { codeVersion, registerVersion } from './train-version.js';
import { loadVersion } from './load-version.js';
import type { TrainedVersion } from './train-version.js';

/** What {@link calibrateVersion} needs. */
export interface CalibrateVersionOptions {
  /** The version to recalibrate: a number or alias. Default `production`. */
  readonly baseVersion?: number | string;
  /**
   * Labelled clips to calibrate on, in any layout `kws eval` reads (a Kaggle-layout `audio/` +
   * `labels.csv` folder, or a Speech Commands dataset's testing split). They must not be the clips
   * the version is then judged on.
   */
  readonly dataDir: string;
  /** As `TrainOptions.unknownTargetRecall`: the share of command clips kept, in (0, 1]. Default: none, thresholds maximise accuracy. */
  readonly unknownTargetRecall?: number;
  /**
   * Test-time augmentation: the new version scores every clip as the mean over these views
   * (`ttaViews`) wherever it is used, and its thresholds are calibrated on those means, each view
   * at the base version's temperature (which it keeps). Default none: the new version has no TTA,
   * whether the base had one or not.
   */
  readonly tta?: TtaSpec;
  /** Called with the new version's number once it is reserved. */
  readonly onBegin?: (version: number) => void;
}

/** Where a recalibrated version's calibration came from, as `training.options.calibratedFrom` records it. */
export interface CalibrationSource {
  readonly version: number;
  readonly dataDir: string;
  /** SHA-1 over the set's (clip id, label) rows in load order, then all its samples. */
  readonly dataFingerprint: string;
  readonly clips: number;
  /** How long the calibration took, s. */
  readonly seconds: number;
}

/** Files of a version that a recalibrated one shares unchanged (the served probabilities apply T after the graph). */
const MODEL_FILES = [MODEL_JSON, WEIGHTS_BIN, 'model.onnx', SESSION_ENSEMBLE_FILE, SESSION_ENSEMBLE_MEMBERS] as const;

/** SHA-1 of a clip set's (id, label) rows in load order, then its samples: which clips a calibration saw. */
export function clipSetFingerprint(set: ClipSet): string {
  const hash = createHash('sha1');
  for (let i = 0; i < set.size; i++) hash.update(`${set.ids[i]}\t${set.labels[i]}\n`);
  hash.update(new Uint8Array(set.samples.buffer, set.samples.byteOffset, set.samples.byteLength));
  return hash.digest('hex');
}

/** An empty clip set of `like`'s clip length: the testing split of a calibration that holds nothing out. */
export function noClips(like: ClipSet): ClipSet {
  return {
    ...like,
    samples: new Int16Array(0),
    labels: new Int32Array(0),
    rmsDbfs: new Float32Array(0),
    ids: [],
    size: 0,
  };
}

/**
 * Recalibrates a ready version on labelled clips the user names and registers the result as a new
 * version N+1 with the same weights (its `model.json`, `weights.bin` and `model.onnx` copied): the
 * temperature fitted on the set's logits (temperature scaling, Guo et al. 2017; T = 1 with fewer than
 * `MIN_TEMPERATURE_CLIPS` clips or at a bound of the search), the silence floor and both unknown
 * rules calibrated on the probabilities at T (`calibrateThresholds`, at `unknownTargetRecall` when
 * given), and the set's metrics and trust figures as the version's validation metrics (testing is
 * null: nothing was held out). Versions are immutable, so the base version is left as it was; the new
 * one records `training.options.calibratedFrom` ({@link CalibrationSource}). Use it to calibrate on the
 * speech a deployment hears (real speakers, the room, the microphone) when the training validation
 * split is mostly synthetic.
 *
 * @throws KwsError `INVALID_ARGUMENT` for a target recall outside (0, 1] or a set without labelled
 *   clips, `NOT_FOUND` for an unknown version; AudioDecodeError naming a clip that does not decode.
 */
export async function calibrateVersion(
  registry: ModelRegistry,
  options: CalibrateVersionOptions,
): Promise<TrainedVersion> {
  const target = options.unknownTargetRecall;
  if (target !== undefined && !(target > 0 && target <= 1))
    throw new KwsError('INVALID_ARGUMENT', `unknownTargetRecall must be in (0, 1], got ${target}`);
  const tta = options.tta === undefined ? null : validateTta(options.tta);
  const base = registry.resolve(options.baseVersion);
  const loaded = await loadVersion(registry, base.version);
  const started = performance.now();
  let calibrated: Awaited<ReturnType<typeof calibrateAndTest>>;
  let set: ClipSet;
  try {
    set = (await loadLabelledSet(options.dataDir, loaded.extractor.config.clipSamples)).set;
    calibrated =
      tta === null
        ? await calibrateAndTest(loaded.raw, set, noClips(set), loaded.extractor, target)
        : await calibrateAndTest(loaded.predict, set, noClips(set), loaded.extractor, target, tta);
  } finally {
    await loaded.dispose();
  }
  const { unknownTargetRecall: _previousTarget, ...baseOptions } = loaded.manifest.training.options;
  void _previousTarget;
  return registerVersion(registry, loaded.manifest.architecture, options.onBegin, async (pending) => {
    // An imported version has only model.onnx; a session ensemble has ensemble.json and members/.
    for (const file of MODEL_FILES)
      if (existsSync(join(base.dir, file))) cpSync(join(base.dir, file), join(pending.dir, file), { recursive: true });
    const source: CalibrationSource = {
      version: base.version,
      dataDir: options.dataDir,
      dataFingerprint: clipSetFingerprint(set),
      clips: set.size,
      seconds: (performance.now() - started) / 1000,
    };
    const { tta: _baseTta, ...baseManifest } = loaded.manifest;
    void _baseTta;
    const manifest: VersionManifest = {
      ...baseManifest,
      version: pending.version,
      thresholds: storeThresholds(calibrated.calibration.thresholds),
      // With TTA each view is served at the base's temperature; the thresholds were fitted on the means of those.
      calibration: storeCalibration(
        tta === null
          ? calibrated.calibration
          : { ...calibrated.calibration, temperature: loaded.manifest.calibration.temperature ?? 1 },
      ),
      ...(tta === null ? {} : { tta }),
      metrics: { validation: calibrated.validationMetrics, testing: null },
      training: {
        ...loaded.manifest.training,
        options: {
          ...baseOptions,
          calibratedFrom: source,
          ...(target === undefined ? {} : { unknownTargetRecall: target }),
        },
      },
      codeVersion: codeVersion(),
      createdAt: new Date().toISOString(),
    };
    return { manifest, backend: 'none (recalibrated)' };
  });
}
