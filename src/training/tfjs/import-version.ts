import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fromFsError, KwsError } from '../../errors/index.js';
import { FeatureExtractor, resolveFeatureConfig } from '../../features/index.js';
import type { FeatureConfig } from '../../features/index.js';
import { LABELS } from '../../labels/index.js';
import { openModelSession } from '../../engine/index.js';
import type { ModelSession } from '../../engine/index.js';
import { wrapImportedOnnx } from '../../engine/tfjs/index.js';
import type { ImportedOutput } from '../../engine/tfjs/index.js';
import type { ModelRegistry, VersionManifest } from '../../registry/index.js';
import { calibrateAndTest } from './trainer.js';
import { calibratedRecord, calibrationDataset, memberClipSets } from './member-versions.js';
import { codeVersion, registerVersion } from './train-version.js';
import type { TrainedVersion } from './train-version.js';

/** The largest model file `importVersion` accepts, bytes (64 MiB: keyword models are well under 1 MiB). */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

/** What {@link importVersion} needs. */
export interface ImportVersionOptions {
  /** The external model, an `.onnx` file. */
  readonly file: string;
  /** The features the model was trained on (a partial `FeatureConfig`, merged over the defaults). */
  readonly features: Partial<FeatureConfig>;
  /** The model's output classes in its order: the 12 labels, each once. Default kws-serve's order. */
  readonly labels?: readonly string[];
  /** What the output holds. Default `logits`. */
  readonly output?: ImportedOutput;
  /** The class scores output when the graph has several; default its only one. */
  readonly outputName?: string;
  /** The clips it is calibrated on: a Speech Commands dataset (validation calibrates, testing scores) or a labelled folder (`audio/` and `labels.csv`). */
  readonly dataDir: string;
  /** Called with the new version's number once it is reserved. */
  readonly onBegin?: (version: number) => void;
}

/**
 * Registers a model trained elsewhere (PyTorch, Keras...) and exported to ONNX as version N+1,
 * after checking it: the file is at most {@link MAX_IMPORT_BYTES}; `wrapImportedOnnx` checks the
 * opset, the one float input against the declared features, the output of 12 classes and the label
 * list, and wraps it into kws-serve's model contract; onnxruntime loads the wrapped model and gives
 * finite outputs on a warm-up batch of 8 clips of random features (probabilities in [0, 1] that sum to
 * 1 per clip, for a model that outputs probabilities). The version is then calibrated like a trained
 * one on `dataDir` (temperature for logits, thresholds) and scored on its testing split, and
 * written as `model.onnx` and `version.json` (architecture `imported`, `imported` naming the file, its
 * SHA-256 and what was found). Nothing is registered when a check fails.
 *
 * Serving, bulk scoring, `kws eval` and `kws calibrate` run it with onnxruntime; the tfjs engine
 * cannot, and it cannot be a base version or an average's member (it can be an ensemble's member and a
 * distillation teacher, both run by onnxruntime).
 *
 * @throws KwsError `INVALID_ARGUMENT` naming the check that failed; `MALFORMED` for a file that is
 *   not an ONNX model or that onnxruntime cannot load; `FILE_NOT_FOUND` / `FILE_UNREADABLE` for the
 *   file; FeatureError `INVALID_FEATURE_CONFIG` for bad features.
 */
export async function importVersion(registry: ModelRegistry, options: ImportVersionOptions): Promise<TrainedVersion> {
  const started = performance.now();
  const featureConfig = resolveFeatureConfig(options.features);
  const extractor = new FeatureExtractor(featureConfig);
  const source = readModelFile(options.file);
  const labels = options.labels ?? LABELS;
  const output = options.output ?? 'logits';
  const waveform = featureConfig.type === 'waveform';
  const { bytes, inspected } = wrapImportedOnnx(source, {
    ...extractor.shape,
    waveform,
    labels,
    output,
    ...(options.outputName === undefined ? {} : { outputName: options.outputName }),
  });
  const staging = mkdtempSync(join(tmpdir(), 'kws-import-'));
  let session: ModelSession | null = null;
  try {
    writeFileSync(join(staging, 'model.onnx'), bytes);
    session = await openModelSession('onnx', staging, { ...extractor.shape, classes: LABELS.length }, 'cpu');
    await checkWarmUp(session, extractor.clipSize, output, waveform);
    const data = await calibrationDataset(null, options.dataDir);
    const {
      validation,
      testing,
      fingerprint,
      options: dataOptions,
    } = await memberClipSets(data, extractor.config.clipSamples);
    const run = session;
    const calibrated = await calibrateAndTest(
      (features, batch) => run.run(features, batch),
      validation,
      testing,
      extractor,
    );
    return await registerVersion(registry, 'imported', options.onBegin, async (pending) => {
      writeFileSync(join(pending.dir, 'model.onnx'), bytes);
      const manifest: VersionManifest = {
        schemaVersion: 1,
        version: pending.version,
        architecture: 'imported',
        labels: [...LABELS],
        featureConfig,
        ...calibratedRecord(
          calibrated,
          { validation, testing, fingerprint },
          {
            dataDir: data.dataDir,
            options: { importedFrom: basename(options.file), ...dataOptions },
            backend: 'onnxruntime-node cpu',
            started,
          },
        ),
        imported: {
          source: basename(options.file),
          sha256: createHash('sha256').update(source).digest('hex'),
          bytes: source.byteLength,
          ...inspected,
          output,
          modelLabels: [...labels],
        },
        codeVersion: codeVersion(),
        createdAt: new Date().toISOString(),
      };
      return { manifest, backend: 'onnxruntime-node cpu (imported)' };
    });
  } finally {
    await session?.dispose();
    rmSync(staging, { recursive: true, force: true });
  }
}

function readModelFile(file: string): Uint8Array {
  let size: number;
  try {
    const stats = statSync(file);
    if (!stats.isFile()) throw new KwsError('FILE_UNREADABLE', `${file} is not a regular file`);
    size = stats.size;
  } catch (error) {
    throw error instanceof KwsError ? error : fromFsError(error, file, 'read');
  }
  if (size > MAX_IMPORT_BYTES)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `${basename(file)} is ${(size / 2 ** 20).toFixed(1)} MiB; an imported model may have ${MAX_IMPORT_BYTES / 2 ** 20} MiB at most`,
    );
  try {
    return readFileSync(file);
  } catch (error) {
    throw fromFsError(error, file, 'read');
  }
}

/** Runs 8 clips of seeded random features (values like log-mel's, -10 to 2; samples within ±0.5 for a waveform) and checks the outputs. */
async function checkWarmUp(
  session: ModelSession,
  clipSize: number,
  output: ImportedOutput,
  waveform: boolean,
): Promise<void> {
  const batch = 8;
  let state = 12345;
  const features = Float32Array.from({ length: batch * clipSize }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return waveform ? state / 2 ** 32 - 0.5 : (state / 2 ** 32) * 12 - 10;
  });
  let out: Awaited<ReturnType<ModelSession['run']>>;
  try {
    out = await session.run(features, batch);
  } catch (error) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      `the model does not run on a batch of ${batch} clips (a batch size fixed inside its graph?): ${
        (error instanceof Error ? error.message : String(error)).split('\n')[0]
      }`,
    );
  }
  const values = output === 'logits' ? out.logits : out.probabilities;
  if (values === null || values.length !== batch * LABELS.length)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `the model gave ${values?.length ?? 0} values for a batch of ${batch}, not ${batch * LABELS.length}`,
    );
  if (!values.every(Number.isFinite))
    throw new KwsError('INVALID_ARGUMENT', 'the model gave non-finite outputs (NaN or infinity) on a warm-up batch');
  // Per warm-up clip: the sum of its values, and whether they all lie in [0, 1].
  const rows = Array.from({ length: batch }, (_, r) => {
    const row = values.subarray(r * LABELS.length, (r + 1) * LABELS.length);
    return { sum: row.reduce((a, v) => a + v, 0), inUnit: row.every((v) => v >= 0 && v <= 1) };
  });
  if (output === 'logits' && rows.every((row) => row.inUnit && Math.abs(row.sum - 1) < 1e-4))
    throw new KwsError(
      'INVALID_ARGUMENT',
      'the output looks like probabilities (every warm-up clip’s values lie in [0, 1] and sum to 1); import it as probabilities (--output probabilities)',
    );
  const bad = rows.find((row) => !row.inUnit || Math.abs(row.sum - 1) > 1e-3);
  if (output === 'probabilities' && bad !== undefined)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `the output is not probabilities (a warm-up clip's values sum to ${bad.sum.toFixed(4)}); import it as logits (--output logits)`,
    );
}
