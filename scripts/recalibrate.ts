/**
 * Recalibrates a model version folder with the current calibration code, for a version trained
 * before it existed: fits the temperature on validation logits (temperature scaling), searches both
 * unknown rules (max-softmax and energy) on the probabilities at that temperature, measures the
 * trust figures (ECE, OOD separation) of validation and testing, rescores the testing split with the chosen thresholds, and rewrites
 * `version.json`'s thresholds, calibration and testing metrics, and `model.onnx` (with its `logits`
 * output) from the same weights. The dataset must be the one the version was trained on (its
 * fingerprint is checked).
 *
 *   npx tsx scripts/recalibrate.ts models/2 [--data DIR]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ExampleLoader, scanSpeechCommands } from '../src/data/index.js';
import type { DatasetOptions } from '../src/data/index.js';
import { loadLayersModel, selectTfjsBackend } from '../src/engine/tfjs/index.js';
import { FeatureExtractor } from '../src/features/index.js';
import { datasetFingerprint } from '../src/training/tfjs/index.js';
import { exportOnnx } from '../src/engine/tfjs/index.js';
import { storeCalibration, storeThresholds } from '../src/registry/index.js';
import type { VersionManifest } from '../src/registry/index.js';
import { calibrateAndTest } from '../src/training/tfjs/index.js';
import { loadClipSet } from '../src/training/index.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { data: { type: 'string' } } });
const dir = positionals[0];
if (dir === undefined) throw new Error('usage: npx tsx scripts/recalibrate.ts MODEL_VERSION_DIR [--data DIR]');
const manifestPath = join(dir, 'version.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as VersionManifest;
const options = manifest.training.options as { seed?: number; dataset?: DatasetOptions };
const dataDir = values.data ?? manifest.training.dataDir;
const dataset = await scanSpeechCommands(dataDir, { seed: options.seed ?? 1, ...options.dataset });
if (datasetFingerprint(dataset) !== manifest.training.dataFingerprint)
  throw new Error(`${dataDir} is not the dataset version ${manifest.version} was trained on (fingerprint differs)`);
await selectTfjsBackend('wasm');
const model = await loadLayersModel(dir);
const extractor = new FeatureExtractor(manifest.featureConfig);
const loader = await ExampleLoader.create(dataset, extractor.config.clipSamples);
const validation = await loadClipSet(dataset.examples.validation, loader, extractor.config.clipSamples);
const testing = await loadClipSet(dataset.examples.testing, loader, extractor.config.clipSamples);
const { calibration, validationMetrics, testingMetrics } = await calibrateAndTest(
  model,
  validation,
  testing,
  extractor,
);
const updated: VersionManifest = {
  ...manifest,
  thresholds: storeThresholds(calibration.thresholds),
  calibration: storeCalibration(calibration),
  metrics: { validation: validationMetrics, testing: testingMetrics },
};
writeFileSync(manifestPath, `${JSON.stringify(updated, null, 2)}\n`);
writeFileSync(join(dir, 'model.onnx'), exportOnnx(model));
model.dispose();
console.log(
  JSON.stringify({
    dir,
    temperature: calibration.temperature,
    thresholds: updated.thresholds,
    validationCalibrated: calibration.accuracy,
    testing: updated.metrics.testing?.accuracy ?? null,
    testingEce: testingMetrics?.trust?.ece ?? null,
  }),
);
